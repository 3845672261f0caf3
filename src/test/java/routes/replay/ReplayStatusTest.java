package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;

import com.azure.storage.blob.BlobContainerClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.TestApp;
import routes.testkit.WireMockServers;

/** A replay run is a dataflow whose records are its days' lines (issue 18's counting rule). */
@ExtendWith({AzuriteServer.class, KafkaServer.class})
class ReplayStatusTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @Test
    void a_day_failed_in_preflight_after_a_clean_day_counts_failed_and_the_run_stays_at_the_failed_stage() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        BlobContainerClient container = ReplayTestSupport.newContainer();
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 25), true));
        put(container, "raw/2019-12-02-00.json.gz", "not gzip at all".getBytes());
        String topic = ReplayTestSupport.newTopic();

        try (FlowledgerApp app = TestApp.start(Map.of(
                "flowledger.replay.enabled", "true",
                "flowledger.status.enabled", "true",
                "flowledger.api.password", "api-secret-1",
                "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.azure.connection-string", AzuriteServer.connectionString(),
                "flowledger.druid.url", WireMockServers.url(http),
                "flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook"))) {
            String api = "http://127.0.0.1:" + app.httpPort() + "/api/replays";
            String body = "{\"startDate\":\"2019-12-01\",\"endDate\":\"2019-12-02\",\"topic\":\"" + topic
                    + "\",\"bucket\":\"" + container.getBlobContainerName() + "\",\"prefix\":\"raw\"}";
            String id = new ObjectMapper().readTree(ReplayApiTest.send(api, body, "api-secret-1").body()).path("id").asText();

            JsonNode flow = TestApp.awaitFinishedDataflow(app, id);
            assertThat(flow.path("state").asText()).isEqualTo("FAILED");
            // Day 1 went through CLEANUP last; the run failed because day 2 failed in PREFLIGHT.
            assertThat(flow.path("stage").asText()).isEqualTo("PREFLIGHT");
            assertThat(flow.path("recordsFailed").asLong()).as("the unreadable day counts as failed").isEqualTo(1);
            assertThat(flow.path("recordsDone").asLong()).as("day 1's 25 records and the failed day").isEqualTo(26);
        }
    }
}
