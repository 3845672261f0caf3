package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.MarquezStandIn;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * With flowledger.lineage.url set, each upload run reaches the OpenLineage backend (a Marquez stand-in) as START then
 * COMPLETE or FAIL: job roket-upload in the configured namespace, runId = the run's id, the source table as input
 * and the Roket endpoint as output, the correlationId in the flowledger_correlation run facet; every event passes the
 * RunEvent check.
 */
class RoketLineageTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @Test
    void a_clean_upload_is_start_then_complete_and_one_with_a_refused_record_start_then_fail() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows("2026-11-20", 0, 150).rows("2026-11-21", 150, 180);
        String bad = RoketFixture.id(42);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                .atPriority(1).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"invalid amount\"}")));
        MarquezStandIn.accept(marquez);
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.lineage.url", WireMockServers.url(marquez));
        settings.put("flowledger.lineage.namespace", "flowledger-test");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(app);
            String failed = uploads.upload("2026-11-20", "test", false).runId();
            String clean = uploads.upload("2026-11-21", "test", false).runId();

            List<JsonNode> failedEvents = awaitEvents(failed, 2);
            assertThat(MarquezStandIn.types(failedEvents)).containsExactly("START", "FAIL");
            assertThat(failedEvents.get(1).path("run").path("facets").path("errorMessage").path("message").asText())
                    .isNotEmpty();
            List<JsonNode> cleanEvents = awaitEvents(clean, 2);
            assertThat(MarquezStandIn.types(cleanEvents)).containsExactly("START", "COMPLETE");

            for (JsonNode e : List.of(failedEvents.get(0), failedEvents.get(1), cleanEvents.get(0), cleanEvents.get(1))) {
                String runId = e == failedEvents.get(0) || e == failedEvents.get(1) ? failed : clean;
                assertThat(e.path("run").path("runId").asText()).as("a UUID run id is the runId itself").isEqualTo(runId);
                assertThat(e.path("run").path("facets").path("flowledger_correlation").path("correlationId").asText())
                        .isEqualTo(runId);
                assertThat(e.path("job").path("namespace").asText()).isEqualTo("flowledger-test");
                assertThat(e.path("job").path("name").asText()).isEqualTo("roket-upload");
                assertThat(e.path("inputs")).hasSize(1);
                assertThat(e.path("inputs").get(0).path("namespace").asText()).startsWith("h2:mem:");
                assertThat(e.path("inputs").get(0).path("name").asText()).isEqualTo("sales");
                assertThat(e.path("outputs").get(0).path("namespace").asText())
                        .isEqualTo("http://127.0.0.1:" + roket.getPort());
                assertThat(e.path("outputs").get(0).path("name").asText()).isEqualTo("/api/records");
            }
            MarquezStandIn.events(marquez).forEach(MarquezStandIn::assertValid);
        }
    }

    private static List<JsonNode> awaitEvents(String correlationId, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> MarquezStandIn.eventsOf(marquez, correlationId).size() >= n);
        return MarquezStandIn.eventsOf(marquez, correlationId);
    }
}
