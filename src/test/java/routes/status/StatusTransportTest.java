package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.KafkaServer;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * Every transport, with the real service: kafka through the real broker and the status processor into H2 and
 * PostgreSQL, direct (also with the status pipeline disabled and in job mode), log; a Kafka outage never fails
 * or slows the emitter and loses nothing (events kept, then stored); malformed topic messages go to the
 * dead-letter topic and the processor goes on.
 */
@ExtendWith({KafkaServer.class, PostgresServer.class})
class StatusTransportTest {

    private ListAppender<ILoggingEvent> statusLog;

    @BeforeEach
    void captureStatusLog() {
        statusLog = new ListAppender<>();
        statusLog.start();
        ((Logger) LoggerFactory.getLogger("flowledger.status")).addAppender(statusLog);
    }

    @AfterEach
    void releaseStatusLog() {
        ((Logger) LoggerFactory.getLogger("flowledger.status")).detachAppender(statusLog);
    }

    static Map<String, String> kafkaSettings(TestDatabase database, String topic) {
        return Map.of("flowledger.status.enabled", "true",
                "flowledger.status.transport", "kafka",
                "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.status.topic", topic,
                "flowledger.status.dead-letter-topic", topic + ".dlt",
                "flowledger.status.consumer-group", "g-" + topic,
                "flowledger.db.url", database.newUrl(),
                "flowledger.db.user", database.user(),
                "flowledger.db.password", database.password());
    }

    static StatusQuery query(FlowledgerApp app) {
        return ((StatusApi) app.camelContext().getRegistry().lookupByName("statusApi")).query();
    }

    static StatusEmitter emitter(FlowledgerApp app) {
        return app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void kafka_transport_publishes_keyed_by_correlation_id_and_the_processor_stores_the_dataflow(TestDatabase database)
            throws Exception {
        String topic = "status-" + UUID.randomUUID();
        try (FlowledgerApp app = TestApp.start(kafkaSettings(database, topic))) {
            StatusEmitter emitter = emitter(app);
            emitter.emit(StatusEvent.dataSetDetails("k-flow", "ds-9", "1", StatusEvent.DataSetType.FILE, 2));
            emitter.emit(StatusEvent.status("k-flow", "FILE_INGEST", State.IN_PROGRESS, null));
            emitter.emit(StatusEvent.recordStatus("k-flow", "a", null, "FILE_INGEST", State.SUCCESS, null, null));
            emitter.emit(StatusEvent.recordStatus("k-flow", "b", null, "FILE_INGEST", State.SUCCESS, null, null));
            emitter.emit(StatusEvent.status("k-flow", "FILE_INGEST", State.SUCCESS, null));

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(query(app).dataflow("k-flow", 10))
                    .isNotNull().containsEntry("state", "SUCCEEDED").containsEntry("recordsDone", 2L)
                    .containsEntry("recordCount", 2L));

            List<ConsumerRecord<String, byte[]>> records = readAll(topic, 5);
            assertThat(records).extracting(ConsumerRecord::key).containsOnly("k-flow");
            assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
                    .startsWith("{\"kind\":\"dataSetDetails\",\"properties\":{\"eventId\":")
                    .contains("\"correlationId\":\"k-flow\"", "\"dataSetType\":\"FILE\"", "\"recordCount\":2");
        }
    }

    @Test
    void malformed_messages_go_to_the_dead_letter_topic_with_the_reason_and_the_processor_goes_on_counting_each_event_once() throws Exception {
        String topic = "status-" + UUID.randomUUID();
        try (FlowledgerApp app = TestApp.start(kafkaSettings(TestDatabase.H2, topic));
             KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "x", "this is not json")).get();
            producer.send(new ProducerRecord<>(topic, "y",
                    "{\"kind\":\"status\",\"properties\":{\"correlationId\":\"m-flow\",\"stage\":\"S\",\"status\":\"DONE\"}}")).get();
            producer.send(new ProducerRecord<>(topic, "m-flow", "{\"kind\":\"status\",\"properties\":{\"correlationId\":"
                    + "\"m-flow\",\"stage\":\"S\",\"status\":\"SUCCESS\",\"timestamp\":\"2026-11-20T10:00:00Z\"}}")).get();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(query(app).dataflow("m-flow", 10))
                    .isNotNull().containsEntry("state", "SUCCEEDED"));
            List<ConsumerRecord<String, byte[]>> dead = readAll(topic + ".dlt", 2);
            assertThat(dead).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("this is not json",
                            "{\"kind\":\"status\",\"properties\":{\"correlationId\":\"m-flow\",\"stage\":\"S\",\"status\":\"DONE\"}}");
            assertThat(dead).extracting(r -> new String(r.headers().lastHeader("flowledger-dlt-reason").value(),
                    StandardCharsets.UTF_8)).satisfiesExactly(
                            r -> assertThat(r).startsWith("not JSON"),
                            r -> assertThat(r).isEqualTo("status must be IN_PROGRESS, SUCCESS, FAILED or SKIPPED, was 'DONE'"));
            assertThat(dead).extracting(ConsumerRecord::key).containsExactly("x", "y");

            // the same event published twice (a producer's retry) is counted once
            String dup = "{\"kind\":\"status\",\"properties\":{\"eventId\":\"e-1\",\"correlationId\":\"m-flow\","
                    + "\"recordId\":\"r1\",\"stage\":\"S\",\"status\":\"SUCCESS\"}}";
            producer.send(new ProducerRecord<>(topic, "m-flow", dup)).get();
            producer.send(new ProducerRecord<>(topic, "m-flow", dup)).get();
            producer.send(new ProducerRecord<>(topic, "m-flow", dup.replace("e-1", "e-2").replace("r1", "r2"))).get();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(query(app).dataflow("m-flow", 10))
                    .containsEntry("recordsDone", 2L));
            assertThat(query(app).dataflow("m-flow", 10).get("counts")).isEqualTo(Map.of("S", Map.of("SUCCESS", 2L)));
        }
    }

    @Test
    void a_kafka_outage_neither_fails_nor_slows_the_emitter_and_the_events_are_kept_then_stored() throws Exception {
        Map<String, String> settings = Map.of("flowledger.status.transport", "kafka",
                "flowledger.kafka.brokers", "127.0.0.1:1", "flowledger.status.check-interval", "500");
        try (FlowledgerApp app = TestApp.start(settings)) {
            StatusEmitter emitter = emitter(app);
            long start = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                emitter.emit(StatusEvent.recordStatus("outage", "r" + i, null, "UPLOAD", State.SUCCESS, null, null));
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).as("200 emits with Kafka down took %d ms", ms).isLessThan(2_000);
            // kept in the dead-letter, then replayed into the store (same metadata DB): none lost
            StatusQuery q = new StatusQuery(app.db().dataSource(), Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(q.dataflow("outage", 10))
                    .isNotNull().containsEntry("recordsDone", 200L));
            assertThat(emitter.fallbackCount()).isEqualTo(200);
            assertThat(statusLog.list).as("kept, so not dumped into the log").noneMatch(e -> e.getFormattedMessage()
                    .contains("\"correlationId\":\"outage\""));
        }
    }

    @Test
    void a_full_queue_keeps_events_instead_of_blocking_the_caller_and_none_is_lost() throws Exception {
        Map<String, String> settings = Map.of("flowledger.status.transport", "kafka",
                "flowledger.kafka.brokers", "127.0.0.1:1", "flowledger.status.queue-size", "5",
                "flowledger.status.check-interval", "500");
        try (FlowledgerApp app = TestApp.start(settings)) {
            StatusEmitter emitter = emitter(app);
            for (int i = 0; i < 100; i++) {
                emitter.emit(StatusEvent.recordStatus("full", "r" + i, null, "UPLOAD", State.SUCCESS, null, null));
            }
            assertThat(emitter.fallbackCount()).isGreaterThanOrEqualTo(90);
            StatusQuery q = new StatusQuery(app.db().dataSource(), Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(q.dataflow("full", 10))
                    .isNotNull().containsEntry("recordsDone", 100L));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void direct_transport_writes_to_the_store_even_with_the_status_pipeline_disabled(TestDatabase database) throws Exception {
        Map<String, String> settings = Map.of("flowledger.status.enabled", "false", "flowledger.status.transport", "direct",
                "flowledger.db.url", database.newUrl(), "flowledger.db.user", database.user(),
                "flowledger.db.password", database.password());
        try (FlowledgerApp app = TestApp.start(settings)) {
            StatusEmitter emitter = emitter(app);
            emitter.emit(StatusEvent.status("d-flow", "UPLOAD", State.IN_PROGRESS, null));
            emitter.emit(StatusEvent.recordStatus("d-flow", "r1", null, "UPLOAD", State.FAILED, "rejected", 422));
            emitter.emit(StatusEvent.status("d-flow", "UPLOAD", State.SUCCESS, null));
            StatusQuery q = new StatusQuery(app.db().dataSource(), Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(q.dataflow("d-flow", 10))
                    .isNotNull().containsEntry("state", "FAILED").containsEntry("recordsFailed", 1L));
        }
    }

    @Test
    void a_job_stores_its_last_events_before_it_exits() throws Exception {
        Config config = TestApp.config(Map.of("flowledger.status.transport", "direct"));
        String url = config.get("flowledger.db.url");
        try (FlowledgerApp job = new FlowledgerApp(config).startJob()) {
            StatusEmitter emitter = emitter(job);
            for (int i = 0; i < 50; i++) {
                emitter.emit(StatusEvent.recordStatus("job-flow", "r" + i, null, "UPLOAD", State.SUCCESS, null, null));
            }
            emitter.emit(StatusEvent.status("job-flow", "UPLOAD", State.SUCCESS, null));
        }
        try (routes.common.MetadataDb db = routes.common.MetadataDb.open(url, "sa", "", 2)) {
            assertThat(new StatusQuery(db.dataSource(), Duration.ofHours(1)).dataflow("job-flow", 10))
                    .containsEntry("state", "SUCCEEDED").containsEntry("recordsDone", 50L);
        }
    }

    @Test
    void log_transport_writes_one_structured_line_per_event() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.status.transport", "log"))) {
            emitter(app).emit(StatusEvent.recordStatus("l-flow", "r1", "v1", "STORAGE_SYNC", State.FAILED,
                    "acl is not valid", 400));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(statusLog.list)
                    .anySatisfy(e -> assertThat(e.getFormattedMessage())
                            .startsWith("{\"kind\":\"status\",\"properties\":{\"eventId\":\"")
                            .contains("\"correlationId\":\"l-flow\",\"recordId\":\"r1\",\"recordIdVersion\":\"v1\","
                                    + "\"stage\":\"STORAGE_SYNC\",\"status\":\"FAILED\",\"message\":\"acl is not valid\","
                                    + "\"errorCode\":400,\"timestamp\":\"")));
        }
    }

    static KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    static List<ConsumerRecord<String, byte[]>> readAll(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }
}
