package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.testkit.S3Server;
import routes.testkit.SecureKafkaServer;
import routes.testkit.TestDatabase;

/**
 * The cubic Kafka batcher against a broker that takes only SASL_SSL with SCRAM-SHA-512 and a private CA: the
 * batcher's kafka: consumer (a YAML route) gets its security from flowledger.kafka.* alone and writes the object.
 */
@ExtendWith({SecureKafkaServer.class, S3Server.class})
class CubicSecureKafkaTest {

    @Test
    void the_batcher_consumes_a_sasl_ssl_topic_and_writes_its_records_to_s3() throws Exception {
        String topic = "cubic.secure" + System.nanoTime() % 100000;
        try (CubicFixture f = new CubicFixture(TestDatabase.H2);
             KafkaProducer<String, String> p = new KafkaProducer<>(SecureKafkaServer.clientProperties(),
                     new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 5; i++) {
                p.send(new ProducerRecord<>(topic, "k" + i, "{\"n\":" + i + "}")).get();
            }
            Map<String, String> settings = f.settings("");
            settings.putAll(SecureKafkaServer.settings());
            settings.put("flowledger.cubic.kafka.topics", topic);
            settings.put("flowledger.cubic.kafka.group-id", "g-" + topic);
            settings.put("flowledger.cubic.kafka.max-records", "5");
            settings.put("flowledger.cubic.work-interval", "PT1H");
            f.start(settings);

            String table = CubicKafkaBatcher.tableFor(topic);
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> CubicKafkaBatcherTest.objects(f, table).size() == 1);
            List<String> lines = CubicKafkaBatcherTest.lines(f, CubicKafkaBatcherTest.objects(f, table).get(0));
            assertThat(lines).containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}");
        }
    }

    @Test
    void a_wrong_password_stops_a_service_that_batches_kafka_topics_in_one_line() {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            Map<String, String> settings = f.settings("");
            settings.putAll(SecureKafkaServer.settings("not-the-password"));
            settings.put("flowledger.cubic.kafka.topics", "cubic.denied");
            assertThatThrownBy(() -> f.start(settings)).isInstanceOf(routes.app.ConfigException.class)
                    .hasMessageStartingWith("flowledger.kafka.sasl.username: Kafka authentication failed at "
                            + SecureKafkaServer.bootstrapServers() + " (SASL_SSL SCRAM-SHA-512)")
                    .hasMessageNotContaining("not-the-password");
        }
    }
}
