package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;

import com.azure.storage.blob.BlobContainerClient;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.CommandProcess;
import routes.testkit.SecureKafkaServer;
import routes.testkit.WireMockServers;

/**
 * Replay's transactional producer (and its read_committed consumer) against a broker that takes only SASL_SSL with
 * SCRAM-SHA-512 and a private CA: a day is replayed in one transaction with nothing but flowledger.kafka.* set, and
 * a wrong password stops the job before any day is touched, in one line.
 */
@ExtendWith({AzuriteServer.class, SecureKafkaServer.class})
class ReplaySecureKafkaTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @TempDir
    Path tmp;

    BlobContainerClient container;
    String topic;
    String dbUrl;

    @BeforeEach
    void setUp() {
        container = ReplayTestSupport.newContainer();
        topic = ReplayTestSupport.newTopic();
        dbUrl = ReplayTestSupport.newH2Url();
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 300), true));
        put(container, "unique/2019-12-01-a.json", ndjson(lines("2019-12-01", 7, 4), false));
    }

    Map<String, String> settings(String password) {
        Map<String, String> s = new HashMap<>(SecureKafkaServer.settings(password));
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.delivery-timeout", "PT30S");
        return s;
    }

    @Test
    void a_day_is_replayed_in_one_transaction_over_sasl_ssl_scram() throws Exception {
        Path config = ReplayTestSupport.properties(tmp, settings(SecureKafkaServer.PASSWORD));
        int exit = ReplayTestSupport.replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01",
                "--topic", topic, "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isZero();
        List<String> records = readCommitted(topic);
        assertThat(records).hasSize(300).doesNotHaveDuplicates().allMatch(r -> r.contains("\"day\":\"2019-12-01\""));
        assertThat(ReplayTestSupport.names(container, "unique/")).as("the replaced downstream blob is cleared").isEmpty();
    }

    @Test
    void a_wrong_password_stops_the_replay_job_in_one_line_before_any_day_is_touched() throws Exception {
        try (CommandProcess job = CommandProcess.start(tmp, settings("wrong-password"), "replay",
                "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw")) {
            assertThat(job.waitFor(90)).as(job.describe()).isEqualTo(2);
            assertThat(job.stderr().strip()).as(job.describe())
                    .startsWith("flowledger: configuration error: flowledger.kafka.sasl.username: Kafka authentication"
                            + " failed at " + SecureKafkaServer.bootstrapServers())
                    .doesNotContain("\n").doesNotContain("wrong-password");
        }
        assertThat(ReplayTestSupport.names(container, "unique/")).containsExactly("unique/2019-12-01-a.json");
    }

    /** Every committed record of the topic, read with the test's own SASL_SSL consumer. */
    static List<String> readCommitted(String topic) {
        Properties p = SecureKafkaServer.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }
}
