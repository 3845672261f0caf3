package routes.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.common.status.StatusCodec;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.KafkaServer;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * Status events persisted per second on PostgreSQL through the topic (goal >= 20,000/s), next to the raw
 * Kafka consume rate and the raw JDBC batch insert rate of the same run; and the latency of
 * GET /api/dataflows/{id} for a dataflow with 1,000,000 status rows (goal p99 < 100 ms), next to what a
 * GROUP BY over its raw rows costs. Run: mvn -B -o -Pbench test -Dtest=StatusBench
 */
@Tag("bench")
@ExtendWith({KafkaServer.class, PostgresServer.class})
class StatusBench {

    static final int EVENTS = 200_000;
    static final int FLOWS = 50;
    static final int BIG = 1_000_000;

    @Test
    void events_persisted_per_second_through_the_topic_and_api_latency_on_a_million_rows() throws Exception {
        String topic = "bench-status-" + UUID.randomUUID();
        produce(topic);
        double consumeRate = rawConsumeRate(topic);
        String url = TestDatabase.POSTGRES.newUrl();
        double jdbcRate = rawJdbcInsertRate(TestDatabase.POSTGRES.newUrl());

        double storeRate = storeOnlyRate(TestDatabase.POSTGRES.newUrl());

        Map<String, String> settings = Map.of("flowledger.status.enabled", "true",
                "flowledger.status.transport", "kafka", "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.status.topic", topic, "flowledger.status.dead-letter-topic", topic + ".dlt",
                "flowledger.status.consumer-group", "bench-" + topic, "flowledger.db.url", url,
                "flowledger.db.user", "postgres", "flowledger.db.password", "postgres");
        try (FlowledgerApp app = TestApp.start(settings)) {
            long t0 = 0;
            long n0 = 0;
            long n;
            long deadline = System.currentTimeMillis() + 600_000;
            while ((n = counted(app)) < EVENTS && System.currentTimeMillis() < deadline) {
                if (n > 0 && t0 == 0) {
                    t0 = System.nanoTime();
                    n0 = n;
                }
                Thread.sleep(20);
            }
            long t1 = System.nanoTime();
            assertThat(n).isEqualTo(EVENTS);
            double rate = (EVENTS - n0) / ((t1 - t0) / 1e9);
            System.out.printf("%nSTATUS BENCH throughput: %,.0f events/s persisted on PostgreSQL through the topic "
                    + "(%,d events, %d dataflows, batches of %s)%n", rate, EVENTS, FLOWS, app.config().get("flowledger.status.batch-size"));
            System.out.printf("STATUS BENCH baseline:   %,.0f records/s raw Kafka consume, %,.0f rows/s raw JDBC batch insert "
                    + "(same run, same machine)%n", consumeRate, jdbcRate);
            System.out.printf("STATUS BENCH store alone: %,.0f events/s (StatusStore.persist in batches of 2000, no Kafka)%n",
                    storeRate);

            seedMillionRows(app);
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort()
                    + "/api/dataflows/big-flow")).build();
            for (int i = 0; i < 50; i++) {
                assertThat(http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            long[] ms = new long[500];
            String body = "";
            for (int i = 0; i < ms.length; i++) {
                long s = System.nanoTime();
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                ms[i] = System.nanoTime() - s;
                body = r.body();
            }
            assertThat(body).contains("\"SUCCESS\":990000", "\"FAILED\":10000");
            Arrays.sort(ms);
            double groupBy = rawGroupByMillis(app);
            System.out.printf("STATUS BENCH GET /api/dataflows/{id} with %,d status rows: p50 %.1f ms, p99 %.1f ms, "
                    + "max %.1f ms (%d requests)%n", BIG, ms[ms.length / 2] / 1e6, ms[(int) (ms.length * 0.99)] / 1e6,
                    ms[ms.length - 1] / 1e6, ms.length);
            System.out.printf("STATUS BENCH baseline:   %.1f ms for one GROUP BY stage, status over the raw rows "
                    + "(what a store without counters pays per question)%n%n", groupBy);
        }
    }

    static void produce(String topic) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < EVENTS; i++) {
                String flow = "flow-" + (i % FLOWS);
                StatusEvent e = StatusEvent.recordStatus(flow, "r" + i, "1", i % 3 == 0 ? "LOAD" : "PARSE",
                        i % 100 == 0 ? State.FAILED : State.SUCCESS, i % 100 == 0 ? "bad value" : null, null);
                producer.send(new ProducerRecord<>(topic, flow, StatusCodec.toJson(e)));
            }
            producer.flush();
        }
    }

    static double rawConsumeRate(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            long n = 0;
            long t0 = 0;
            while (n < EVENTS) {
                int got = c.poll(Duration.ofMillis(500)).count();
                if (got > 0 && t0 == 0) {
                    t0 = System.nanoTime();
                }
                n += got;
            }
            return EVENTS / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double rawJdbcInsertRate(String url) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "postgres")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE raw_insert (event_id VARCHAR(100) PRIMARY KEY, correlation_id VARCHAR(200), "
                        + "record_id VARCHAR(200), stage VARCHAR(100), status VARCHAR(16), event_ts TIMESTAMPTZ)");
            }
            c.setAutoCommit(false);
            long t0 = System.nanoTime();
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO raw_insert VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < EVENTS; i++) {
                    ps.setString(1, UUID.randomUUID().toString());
                    ps.setString(2, "flow-" + (i % FLOWS));
                    ps.setString(3, "r" + i);
                    ps.setString(4, "PARSE");
                    ps.setString(5, "SUCCESS");
                    ps.setObject(6, now);
                    ps.addBatch();
                    if (i % 2000 == 1999) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
            }
            return EVENTS / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double storeOnlyRate(String url) throws Exception {
        try (routes.common.MetadataDb db = routes.common.MetadataDb.open(url, "postgres", "postgres", 2)) {
            routes.common.status.StatusStore store = new routes.common.status.StatusStore(db.dataSource());
            java.util.List<StatusEvent> batch = new java.util.ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < EVENTS; i++) {
                batch.add(StatusEvent.recordStatus("flow-" + (i % FLOWS), "r" + i, "1", i % 3 == 0 ? "LOAD" : "PARSE",
                        i % 100 == 0 ? State.FAILED : State.SUCCESS, i % 100 == 0 ? "bad value" : null, null));
                if (batch.size() == 2000) {
                    store.persist(batch);
                    batch.clear();
                }
            }
            return EVENTS / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static long counted(FlowledgerApp app) throws Exception {
        try (Connection c = app.db().dataSource().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT COALESCE(SUM(n), 0) FROM status_counter")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A dataflow with a million raw status rows and the summaries the store would have kept for them. */
    static void seedMillionRows(FlowledgerApp app) throws Exception {
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO status (event_id, correlation_id, record_id, stage, status, message, error_code, "
                    + "event_ts, received_at) SELECT 'big-' || g, 'big-flow', 'r' || g, 'LOAD', "
                    + "CASE WHEN g % 100 = 0 THEN 'FAILED' ELSE 'SUCCESS' END, "
                    + "CASE WHEN g % 100 = 0 THEN 'bad value' END, CASE WHEN g % 100 = 0 THEN 422 END, "
                    + "now() - make_interval(secs => " + BIG + " - g), now() FROM generate_series(1, " + BIG + ") g");
            s.execute("INSERT INTO status_counter SELECT correlation_id, stage, status, COUNT(*) FROM status "
                    + "WHERE correlation_id = 'big-flow' GROUP BY correlation_id, stage, status");
            s.execute("INSERT INTO status_stage (correlation_id, stage, first_ts, last_ts, run_status, run_ts) "
                    + "SELECT 'big-flow', 'LOAD', MIN(event_ts), MAX(event_ts), 'SUCCESS', MAX(event_ts) FROM status "
                    + "WHERE correlation_id = 'big-flow'");
            s.execute("INSERT INTO status_dataflow (correlation_id, state, finished, stage, record_count, records_done, "
                    + "records_failed, first_ts, last_ts, updated_at) SELECT 'big-flow', 'FAILED', TRUE, 'LOAD', " + BIG
                    + ", " + BIG + ", 10000, first_ts, last_ts, now() FROM status_stage WHERE correlation_id = 'big-flow'");
            s.execute("ANALYZE status");
        }
    }

    static double rawGroupByMillis(FlowledgerApp app) throws Exception {
        try (Connection c = app.db().dataSource().getConnection()) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                try (ResultSet rs = c.createStatement().executeQuery("SELECT stage, status, COUNT(*) FROM status "
                        + "WHERE correlation_id = 'big-flow' GROUP BY stage, status")) {
                    while (rs.next()) {
                        rs.getLong(3);
                    }
                }
                best = Math.min(best, System.nanoTime() - t);
            }
            return best / 1e6;
        }
    }

}
