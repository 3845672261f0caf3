package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.rows;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.KafkaServer;
import routes.testkit.MarquezStandIn;
import routes.testkit.S3Server;
import routes.testkit.WireMockServers;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A replay job (the {@code replay} command, which exits when done) reaches the lineage backend as START then FAIL
 * (one of its two days is refused): job {@code replay.<topic>}, the backup prefix in the store as input, the Kafka
 * topic as output. The verdict is sent before the command exits (the lineage route drains on shutdown).
 */
@ExtendWith({S3Server.class, KafkaServer.class})
class ReplayLineageTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @TempDir
    Path tmp;

    @Test
    void a_replay_run_is_start_then_its_verdict_with_the_backup_prefix_and_the_topic() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        MarquezStandIn.accept(marquez);
        S3Client s3 = S3Server.client();
        String bucket = "replay-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(bucket));
        String topic = ReplayTestSupport.newTopic();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaServer.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "200000"))))
                    .all().get();
        }
        put(s3, bucket, "unique/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 20), true));
        // Larger than the topic takes: the day is refused, so the run fails.
        put(s3, bucket, "unique/2019-12-02-01.json", ("{\"big\":\"" + "x".repeat(300_000) + "\"}\n")
                .getBytes(StandardCharsets.UTF_8));

        String dbUrl = ReplayTestSupport.newH2Url();
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.replay.store", "s3");
        s.put("flowledger.s3.endpoint", S3Server.endpoint());
        s.put("flowledger.s3.access-key", S3Server.accessKey());
        s.put("flowledger.s3.secret-key", S3Server.secretKey());
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.delivery-timeout", "PT5S");
        s.put("flowledger.lineage.url", WireMockServers.url(marquez));
        int exit = ReplayTestSupport.replay(ReplayTestSupport.properties(tmp, s), "--start-date", "2019-12-01",
                "--end-date", "2019-12-02", "--topic", topic, "--bucket", bucket, "--prefix", "unique");
        assertThat(exit).isEqualTo(1);

        String runId = String.valueOf(rows(dbUrl, "sa", "", "SELECT id FROM replay_runs").get(0).get("id"));
        // No waiting: the command has exited, so its lineage events are already out.
        List<JsonNode> events = MarquezStandIn.eventsOf(marquez, runId);
        assertThat(MarquezStandIn.types(events)).containsExactly("START", "FAIL");
        for (JsonNode e : events) {
            assertThat(e.path("job").path("name").asText()).isEqualTo("replay." + topic);
            assertThat(e.path("inputs").get(0).path("namespace").asText()).isEqualTo("s3://" + bucket);
            assertThat(e.path("inputs").get(0).path("name").asText()).isEqualTo("unique");
            assertThat(e.path("outputs").get(0).path("namespace").asText())
                    .isEqualTo("kafka://" + KafkaServer.bootstrapServers().split(",")[0]);
            assertThat(e.path("outputs").get(0).path("name").asText()).isEqualTo(topic);
            assertThat(e.path("run").path("facets").path("flowledger_correlation").path("correlationId").asText())
                    .isEqualTo(runId);
        }
        MarquezStandIn.events(marquez).forEach(MarquezStandIn::assertValid);
    }

    private static void put(S3Client s3, String bucket, String key, byte[] content) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }
}
