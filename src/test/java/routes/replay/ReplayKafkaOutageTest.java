package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.names;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;
import static routes.replay.ReplayTestSupport.rows;
import static routes.replay.ReplayTestSupport.snapshot;

import com.azure.storage.blob.BlobContainerClient;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.sandbox.KafkaSandbox;
import routes.testkit.AzuriteServer;
import routes.testkit.WireMockServers;

/** Kafka going away in the middle of a day: the day fails and its downstream blobs come back byte for byte. */
@ExtendWith(AzuriteServer.class)
class ReplayKafkaOutageTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @TempDir
    Path tmp;

    @Test
    void kafka_unavailable_mid_day_fails_the_day_and_restores_its_downstream() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[{\"segment_id\":\"te_old\"}]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":1}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        BlobContainerClient container = ReplayTestSupport.newContainer();
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 600_000), true));
        put(container, "unique/2019-12-01-a.json", ndjson(lines("2019-12-01", 7, 4), false));
        put(container, "channel/2019-12-01-a.json.gz", ndjson(lines("2019-12-01", 8, 4), true));
        Map<String, String> before = snapshot(container, "");
        String dbUrl = ReplayTestSupport.newH2Url();

        KafkaSandbox kafka = KafkaSandbox.start();
        CompletableFuture<Integer> exit;
        try {
            Map<String, String> s = new HashMap<>();
            s.put("flowledger.db.url", dbUrl);
            s.put("flowledger.kafka.brokers", kafka.bootstrapServers());
            s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
            s.put("flowledger.druid.url", WireMockServers.url(http));
            s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
            s.put("flowledger.replay.delivery-timeout", "PT5S");
            s.put("flowledger.replay.progress-interval", "PT0.1S");
            Path config = ReplayTestSupport.properties(tmp, s);
            exit = CompletableFuture.supplyAsync(() -> ReplayTestSupport.replay(config, "--start-date", "2019-12-01",
                    "--end-date", "2019-12-01", "--topic", "replay-outage", "--bucket", container.getBlobContainerName(),
                    "--prefix", "raw"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
                List<Map<String, Object>> d = rows(dbUrl, "sa", "", "SELECT status, records FROM replay_days");
                return "REPLAY".equals(d.get(0).get("status")) && ((Number) d.get(0).get("records")).longValue() >= 5_000;
            });
            assertThat(names(container, "unique/")).as("deleted, with a backup").isEmpty();
        } finally {
            kafka.close();
        }

        assertThat(exit.get(120, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(snapshot(container, "")).isEqualTo(before);
        List<Map<String, Object>> days = rows(dbUrl, "sa", "", "SELECT status, failed_stage FROM replay_days");
        assertThat(days.get(0)).containsEntry("status", "FAILED").containsEntry("failed_stage", "REPLAY");
        assertThat(http.findAll(postRequestedFor(urlMatching(".*/markUnused")))).isEmpty();
        assertThat(http.findAll(postRequestedFor(urlEqualTo("/slack/hook")))).singleElement()
                .satisfies(r -> assertThat(r.getBodyAsString()).contains("FAILED").contains("restored"));
    }
}
