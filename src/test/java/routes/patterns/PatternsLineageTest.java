package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.MarquezStandIn;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * A pipe run (correlationId {@code <pipe>-run-<n>}, not a UUID) reaches the OpenLineage backend as job
 * {@code patterns.<pipe>} under its name-based runId: the HTTP source as input, the ledger dataset as output; a run
 * whose source fails is START then FAIL.
 */
class PatternsLineageTest {

    @RegisterExtension
    static WireMockExtension source = WireMockServers.create();

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @TempDir
    Path routesDir;

    @Test
    void a_collecting_run_is_start_then_complete_and_a_run_whose_source_fails_start_then_fail() throws Exception {
        source.stubFor(get(urlPathEqualTo("/stock")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":1}]")));
        MarquezStandIn.accept(marquez);
        try (PatternsHarness h = new PatternsHarness(TestDatabase.H2, routesDir)) {
            h.routes("stock.yaml", PatternsHarness.template("http-rescan-source", "stock-rescan", "dataset", "stock",
                    "url", WireMockServers.url(source) + "/stock", "period", "3600000", "delay", "100"))
                    .start(Map.of("flowledger.lineage.url", WireMockServers.url(marquez)));
            List<JsonNode> first = awaitEvents("stock-rescan-run-1", 2);
            assertThat(MarquezStandIn.types(first)).containsExactly("START", "COMPLETE");
            for (JsonNode e : first) {
                assertThat(e.path("run").path("runId").asText())
                        .isEqualTo(MarquezStandIn.runId("stock-rescan-run-1").toString());
                assertThat(e.path("run").path("facets").path("flowledger_correlation").path("correlationId").asText())
                        .isEqualTo("stock-rescan-run-1");
                assertThat(e.path("job").path("namespace").asText()).isEqualTo("flowledger");
                assertThat(e.path("job").path("name").asText()).isEqualTo("patterns.stock-rescan");
                assertThat(e.path("inputs").get(0).path("namespace").asText())
                        .isEqualTo("http://127.0.0.1:" + source.getPort());
                assertThat(e.path("inputs").get(0).path("name").asText()).isEqualTo("/stock");
                assertThat(e.path("outputs").get(0).path("namespace").asText()).startsWith("h2:");
                assertThat(e.path("outputs").get(0).path("name").asText()).isEqualTo("patterns_entities/stock");
            }

            source.stubFor(get(urlPathEqualTo("/stock")).willReturn(aResponse().withStatus(500)));
            h.run("stock-rescan");
            List<JsonNode> second = awaitEvents("stock-rescan-run-2", 2);
            assertThat(MarquezStandIn.types(second)).containsExactly("START", "FAIL");
            assertThat(second.get(1).path("run").path("facets").path("errorMessage").path("message").asText())
                    .isNotEmpty();
            MarquezStandIn.events(marquez).forEach(MarquezStandIn::assertValid);
        }
    }

    private static List<JsonNode> awaitEvents(String correlationId, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> MarquezStandIn.eventsOf(marquez, correlationId).size() >= n);
        return MarquezStandIn.eventsOf(marquez, correlationId);
    }
}
