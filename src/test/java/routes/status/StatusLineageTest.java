package routes.status;

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
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.MarquezStandIn;
import routes.testkit.TestApp;
import routes.testkit.WireMockServers;

/**
 * A dataflow no pipeline describes (a producer using flowledger's status emitter, as the status demo does) is still a
 * run in the lineage backend: job {@code dataflow.<first stage>}, runId derived from its correlationId, and the same
 * verdict as GET /api/dataflows/{id} (one rule set: DataflowRules).
 */
class StatusLineageTest {

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @Test
    void each_dataflow_is_start_then_the_verdict_the_status_api_gives() throws Exception {
        MarquezStandIn.accept(marquez);
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.status.enabled", "true",
                "flowledger.lineage.url", WireMockServers.url(marquez) + "/",
                "flowledger.lineage.namespace", "status-test"))) {
            StatusEmitter emitter = app.statusEmitter();
            String ok = "demo-orders-4241";
            String bad = "demo-invoices-4242";
            emitter.emit(StatusEvent.dataSetDetails(ok, "orders", "1", StatusEvent.DataSetType.TABLE, 2));
            emitter.emit(StatusEvent.status(ok, "EXTRACT", State.IN_PROGRESS, null));
            emitter.emit(StatusEvent.recordStatus(ok, "order-1", "1", "EXTRACT", State.SUCCESS, null, null));
            emitter.emit(StatusEvent.status(ok, "EXTRACT", State.SUCCESS, null));
            emitter.emit(StatusEvent.status(bad, "EXTRACT", State.IN_PROGRESS, null));
            emitter.emit(StatusEvent.recordStatus(bad, "invoice-1", "1", "EXTRACT", State.FAILED, "amount is negative",
                    422));
            emitter.emit(StatusEvent.status(bad, "EXTRACT", State.FAILED, "1 invoice rejected"));

            List<JsonNode> okEvents = awaitEvents(ok, 2);
            List<JsonNode> badEvents = awaitEvents(bad, 2);
            assertThat(MarquezStandIn.types(okEvents)).containsExactly("START", "COMPLETE");
            assertThat(MarquezStandIn.types(badEvents)).containsExactly("START", "FAIL");
            assertThat(TestApp.awaitFinishedDataflow(app, ok).path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(TestApp.awaitFinishedDataflow(app, bad).path("state").asText()).isEqualTo("FAILED");
            assertThat(badEvents.get(1).path("run").path("facets").path("errorMessage").path("message").asText())
                    .isEqualTo("1 invoice rejected");
            for (JsonNode e : badEvents) {
                assertThat(e.path("run").path("runId").asText()).isEqualTo(MarquezStandIn.runId(bad).toString());
                assertThat(e.path("run").path("facets").path("flowledger_correlation").path("correlationId").asText())
                        .isEqualTo(bad);
                assertThat(e.path("job").path("namespace").asText()).isEqualTo("status-test");
                assertThat(e.path("job").path("name").asText()).isEqualTo("dataflow.extract");
            }
            MarquezStandIn.events(marquez).forEach(MarquezStandIn::assertValid);
            assertThat(MarquezStandIn.events(marquez)).as("one START and one verdict per dataflow").hasSize(4);
        }
    }

    private static List<JsonNode> awaitEvents(String correlationId, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> MarquezStandIn.eventsOf(marquez, correlationId).size() >= n);
        return MarquezStandIn.eventsOf(marquez, correlationId);
    }
}
