package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** A pattern pipe's run is a dataflow whose records are the entities it handled (issue 18's counting rule). */
class PatternsStatusTest {

    @RegisterExtension
    static WireMockExtension source = WireMockServers.create();

    @TempDir
    Path routesDir;

    @Test
    void a_succeeded_collecting_run_counts_its_entities_as_done_and_shows_full_progress() throws Exception {
        source.stubFor(get(urlPathEqualTo("/stock")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":1}]")));
        try (PatternsHarness h = new PatternsHarness(TestDatabase.H2, routesDir)) {
            h.routes("stock.yaml", PatternsHarness.template("http-rescan-source", "stock-rescan", "dataset", "stock",
                    "url", WireMockServers.url(source) + "/stock", "period", "3600000", "delay", "100"))
                    .start(Map.of("flowledger.status.enabled", "true"));
            h.awaitFirstRun("stock-rescan");

            JsonNode flow = TestApp.awaitFinishedDataflow(h.app, "stock-rescan-run-1");
            assertThat(flow.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(flow.path("recordCount").asLong()).isEqualTo(2);
            assertThat(flow.path("recordsDone").asLong()).as("the 2 entities received and stored").isEqualTo(2);
            assertThat(flow.path("recordsFailed").asLong()).isZero();
            assertThat(flow.path("progress").asDouble()).isEqualTo(1.0);
        }
    }
}
