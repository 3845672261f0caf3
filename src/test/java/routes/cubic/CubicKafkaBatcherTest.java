package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import routes.app.FlowledgerApp;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.testkit.KafkaServer;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;

/** The Kafka batcher on a real broker and S3 server: count and time triggers, and no loss on a crash before commit. */
@ExtendWith({KafkaServer.class, S3Server.class})
class CubicKafkaBatcherTest {

    static void produce(String topic, int from, int to) throws Exception {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaServer.bootstrapServers(),
                "linger.ms", "5"), new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < to; i++) {
                p.send(new ProducerRecord<>(topic, "k" + i, "{\"n\":" + i + "}"));
            }
            p.flush();
        }
    }

    /** The service's batcher route on the topic; its first work round is an hour away, so objects stay in incoming. */
    static FlowledgerApp batcher(CubicFixture f, String topic, String group, int maxRecords, Duration maxAge) throws Exception {
        Map<String, String> settings = f.settings("");
        settings.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        settings.put("flowledger.cubic.kafka.topics", topic);
        settings.put("flowledger.cubic.kafka.group-id", group);
        settings.put("flowledger.cubic.kafka.max-records", String.valueOf(maxRecords));
        settings.put("flowledger.cubic.kafka.max-age", maxAge.toString());
        settings.put("flowledger.cubic.work-interval", "PT1H");
        return f.start(settings);
    }

    static List<String> objects(CubicFixture f, String table) {
        return f.keys(f.incoming).stream().filter(k -> k.startsWith("cubic/kafka/" + table + "/")).toList();
    }

    static List<String> lines(CubicFixture f, String key) {
        return f.text(f.incoming, key).lines().toList();
    }

    @Test
    void ten_thousand_records_make_one_object_of_exactly_ten_thousand_lines_before_the_hour_is_up() throws Exception {
        String topic = "cubic.count" + System.nanoTime() % 100000;
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            produce(topic, 0, 10_005);
            batcher(f, topic, "g-" + topic, 10_000, Duration.ofHours(1));
            String table = CubicKafkaBatcher.tableFor(topic);
            await().atMost(Duration.ofSeconds(60)).until(() -> objects(f, table).size() == 1);
            List<String> l = lines(f, objects(f, table).get(0));
            assertThat(l).hasSize(10_000).startsWith("{\"n\":0}").endsWith("{\"n\":9999}");
            assertThat(objects(f, table).get(0)).matches("cubic/kafka/" + table + "/[0-9a-f-]{36}\\.json");
            assertThat(f.status(objects(f, table).get(0))).as("its load row exists").isEqualTo("ready");
            Thread.sleep(2000);
            assertThat(objects(f, table)).as("5 records wait for the next 10,000 or the hour").hasSize(1);
        }
    }

    @Test
    void a_few_records_are_written_once_the_oldest_waited_max_age() throws Exception {
        String topic = "cubic.time" + System.nanoTime() % 100000;
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            produce(topic, 0, 3);
            String table = CubicKafkaBatcher.tableFor(topic);
            long start = System.currentTimeMillis();
            batcher(f, topic, "g-" + topic, 10_000, Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(60)).until(() -> objects(f, table).size() == 1);
            assertThat(System.currentTimeMillis() - start).isGreaterThanOrEqualTo(2000);
            assertThat(lines(f, objects(f, table).get(0))).containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}");
        }
    }

    @Test
    void a_batcher_that_wrote_its_object_is_waiting_for_more_records_not_running() throws Exception {
        String topic = "cubic.wait" + System.nanoTime() % 100000;
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            produce(topic, 0, 3);
            String table = CubicKafkaBatcher.tableFor(topic);
            Map<String, String> settings = f.settings("");
            settings.put("flowledger.status.enabled", "true");
            settings.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
            settings.put("flowledger.cubic.kafka.topics", topic);
            settings.put("flowledger.cubic.kafka.group-id", "g-" + topic);
            settings.put("flowledger.cubic.kafka.max-records", "10000");
            settings.put("flowledger.cubic.kafka.max-age", "PT2S");
            settings.put("flowledger.cubic.work-interval", "PT1H");
            FlowledgerApp app = f.start(settings);
            await().atMost(Duration.ofSeconds(60)).until(() -> objects(f, table).size() == 1);

            com.fasterxml.jackson.databind.JsonNode flow = routes.testkit.TestApp.awaitDataflow(app,
                    "cubic-kafka-" + table, v -> v.path("recordsDone").asLong() == 1);
            assertThat(flow.path("waiting").asBoolean()).as("it did its part; it waits for input").isTrue();
            assertThat(flow.path("waitingFor").asText()).contains("more records of " + table);
            assertThat(flow.path("stalled").asBoolean()).isFalse();
            assertThat(flow.path("finished").asBoolean()).isFalse();
        }
    }

    @Test
    void records_written_but_not_committed_before_a_stop_are_written_again_never_lost() throws Exception {
        String topic = "cubic.crash" + System.nanoTime() % 100000;
        String group = "g-" + topic;
        String table = CubicKafkaBatcher.tableFor(topic);
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            try (FlowledgerApp first = batcher(f, topic, group, 100, Duration.ofHours(1))) {
                f.apps.remove(first);
                first.camelContext().getRegistry().lookupByNameAndType("cubicKafkaBatcher", CubicKafkaBatcher.class)
                        .crashBeforeCommit = true;
                produce(topic, 0, 100);
                await().atMost(Duration.ofSeconds(60)).until(() -> objects(f, table).size() == 1);
                Thread.sleep(1500); // polls go on; nothing is committed
            }
            assertThat(objects(f, table)).hasSize(1);
            try (FlowledgerApp second = batcher(f, topic, group, 100, Duration.ofHours(1))) {
                f.apps.remove(second);
                await().atMost(Duration.ofSeconds(60)).until(() -> objects(f, table).size() == 2);
                Thread.sleep(1500); // the commit is made on the consumer's next poll
            }
            Set<String> all = new TreeSet<>();
            List<Integer> sizes = new ArrayList<>();
            for (String k : objects(f, table)) {
                List<String> l = lines(f, k);
                sizes.add(l.size());
                all.addAll(l);
            }
            assertThat(all).hasSize(100);
            assertThat(sizes).as("at-least-once: the uncommitted batch is written again").containsExactly(100, 100);
            // Committed now: a third consumer of the group gets nothing more.
            try (FlowledgerApp third = batcher(f, topic, group, 100, Duration.ofSeconds(1))) {
                f.apps.remove(third);
                Thread.sleep(4000);
            }
            assertThat(objects(f, table)).hasSize(2);
        }
    }

    @Test
    void records_on_a_configured_topic_become_a_kafka_load_that_is_ingested_and_archived() throws Exception {
        String topic = "sample" + System.nanoTime() % 100000;
        String table = CubicKafkaBatcher.tableFor(topic);
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            produce(topic, 0, 7);
            Map<String, String> settings = f.settings(""); // the batcher registers its table itself
            settings.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
            settings.put("flowledger.cubic.kafka.topics", topic);
            settings.put("flowledger.cubic.kafka.group-id", "g-" + topic);
            settings.put("flowledger.cubic.kafka.max-age", "PT1S");
            f.start(settings);
            await().atMost(Duration.ofSeconds(60)).until(() -> f.keys(f.archive).size() == 1);
            String key = f.keys(f.archive).get(0);
            f.awaitStatus(key, "archived");
            assertThat(f.parquet("cubic/kafka/" + table + "/identifier=" + key.substring(key.lastIndexOf('/') + 1)
                    + "/part-00000.snappy.parquet")).hasSize(7).extracting(r -> r.get("n"))
                    .containsExactly("0", "1", "2", "3", "4", "5", "6");
        }
    }
}
