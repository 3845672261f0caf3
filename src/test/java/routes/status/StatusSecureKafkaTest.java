package routes.status;

import routes.app.StartupChecks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.sandbox.Ports;
import routes.testkit.CommandProcess;
import routes.testkit.SecureKafkaServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * The status pipeline against a broker that takes only SASL_SSL with SCRAM-SHA-512 and a private CA: events go
 * through the topic into the store with nothing but {@code flowledger.kafka.*} set, and a wrong password stops the
 * service's start in one line naming Kafka authentication, instead of clients retrying forever.
 */
@ExtendWith(SecureKafkaServer.class)
class StatusSecureKafkaTest {

    @TempDir
    Path dir;

    static Map<String, String> settings(String topic, String password) {
        Map<String, String> s = new LinkedHashMap<>(SecureKafkaServer.settings(password));
        s.put("flowledger.status.enabled", "true");
        s.put("flowledger.status.transport", "kafka");
        s.put("flowledger.status.topic", topic);
        s.put("flowledger.status.dead-letter-topic", topic + ".dlt");
        s.put("flowledger.status.consumer-group", "g-" + topic);
        return s;
    }

    @Test
    void status_events_travel_over_sasl_ssl_scram_through_the_topic_into_the_store() throws Exception {
        String topic = "status-secure-" + UUID.randomUUID();
        try (FlowledgerApp app = TestApp.start(settings(topic, SecureKafkaServer.PASSWORD))) {
            StatusEmitter emitter = StatusTransportTest.emitter(app);
            emitter.emit(StatusEvent.dataSetDetails("tls-flow", "ds-1", "1", StatusEvent.DataSetType.FILE, 2));
            emitter.emit(StatusEvent.recordStatus("tls-flow", "a", null, "FILE_INGEST", State.SUCCESS, null, null));
            emitter.emit(StatusEvent.recordStatus("tls-flow", "b", null, "FILE_INGEST", State.SUCCESS, null, null));
            emitter.emit(StatusEvent.status("tls-flow", "FILE_INGEST", State.SUCCESS, null));

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(
                    StatusTransportTest.query(app).dataflow("tls-flow", 10))
                    .isNotNull().containsEntry("state", "SUCCEEDED").containsEntry("recordsDone", 2L));
            assertThat(topicValues(topic)).as("the events went through the secured topic").hasSize(4)
                    .allMatch(v -> v.contains("\"correlationId\":\"tls-flow\""));
            // The status watch's Admin client reaches the broker with the same settings (health check UP).
            emitter.checkKafka();
            assertThat(emitter.kafkaReachable()).isTrue();
        }
    }

    @Test
    void a_wrong_password_stops_the_service_start_within_seconds_with_one_line_naming_kafka_authentication()
            throws Exception {
        Map<String, String> s = settings("status-denied-" + UUID.randomUUID(), "not-the-password");
        s.put("flowledger.db.url", TestDatabase.H2.newUrl());
        s.put("flowledger.http.port", String.valueOf(Ports.free()));
        s.put("flowledger.management.port", String.valueOf(Ports.free()));
        s.put("flowledger.http.host", "127.0.0.1");
        s.put("flowledger.management.host", "127.0.0.1");
        long start = System.nanoTime();
        try (CommandProcess service = CommandProcess.start(dir, s)) {
            int exit = service.waitFor(90);
            assertThat(exit).as(service.describe()).isEqualTo(2);
            assertThat(service.stderr().strip()).as(service.describe())
                    .startsWith("flowledger: configuration error: flowledger.kafka.sasl.username: Kafka authentication"
                            + " failed at " + SecureKafkaServer.bootstrapServers() + " (SASL_SSL SCRAM-SHA-512)")
                    .doesNotContain("\n").doesNotContain("not-the-password");
            assertThat(service.stdout()).doesNotContain("not-the-password");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void a_broker_certificate_the_truststore_does_not_trust_is_named_in_one_line() {
        Map<String, String> s = settings("status-untrusted", SecureKafkaServer.PASSWORD);
        s.remove("flowledger.kafka.ssl.truststore-location"); // the JVM's public CAs: the private CA is not among them
        s.remove("flowledger.kafka.ssl.truststore-password");
        routes.app.Config c = TestApp.config(s);
        StartupChecks.validate(c);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupChecks.checkKafka(c,
                        SecureKafkaServer.bootstrapServers()))
                .isInstanceOf(routes.app.ConfigException.class)
                .hasMessageStartingWith("flowledger.kafka.ssl.truststore-location: Kafka TLS handshake failed at "
                        + SecureKafkaServer.bootstrapServers() + " (SASL_SSL): the brokers' certificate is not trusted by"
                        + " the JVM's CA certificates")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    /** Every value in the topic, read with the test's own SASL_SSL consumer. */
    static List<String> topicValues(String topic) {
        Properties p = SecureKafkaServer.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < 4 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }
}
