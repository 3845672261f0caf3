package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.testkit.MarquezStandIn;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * Each Cubic load is a run of its table's job {@code cubic-ingestion.<table>} in the lineage backend: the table's
 * prefix in the incoming bucket as input, the same prefix in the springboard bucket as output; an archived load is
 * START then COMPLETE, an errored one START then FAIL (real S3 API server).
 */
@ExtendWith(S3Server.class)
class CubicLineageTest {

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @Test
    void an_archived_load_is_start_then_complete_and_an_errored_one_start_then_fail() throws Exception {
        MarquezStandIn.accept(marquez);
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", CubicFixture.gzip("ID,NAME\n1,alpha\n"));
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "not gzip at all".getBytes());
            Map<String, String> settings = f.settings(CubicIngestionTest.ODS);
            settings.put("flowledger.lineage.url", WireMockServers.url(marquez));
            f.start(settings);
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "errored");
            String good = "cubic-load-" + f.count("SELECT id FROM cubic_loads WHERE s3_key LIKE ?", "%/LOAD001.csv.gz");
            String bad = "cubic-load-" + f.count("SELECT id FROM cubic_loads WHERE s3_key LIKE ?", "%/LOAD002.csv.gz");

            List<JsonNode> goodEvents = awaitEvents(good, 2);
            List<JsonNode> badEvents = awaitEvents(bad, 2);
            assertThat(MarquezStandIn.types(goodEvents)).containsExactly("START", "COMPLETE");
            assertThat(MarquezStandIn.types(badEvents)).containsExactly("START", "FAIL");
            assertThat(badEvents.get(1).path("run").path("facets").path("errorMessage").path("message").asText())
                    .contains("corrupt gzip");
            for (JsonNode e : List.of(goodEvents.get(0), goodEvents.get(1), badEvents.get(0), badEvents.get(1))) {
                assertThat(e.path("job").path("name").asText()).isEqualTo("cubic-ingestion.cubic__ods_qlik__edw_sample");
                assertThat(e.path("inputs").get(0).path("namespace").asText()).isEqualTo("s3://" + f.incoming);
                assertThat(e.path("inputs").get(0).path("name").asText()).isEqualTo("cubic/ods_qlik/EDW.SAMPLE/");
                assertThat(e.path("outputs").get(0).path("namespace").asText()).isEqualTo("s3://" + f.springboard);
                assertThat(e.path("outputs").get(0).path("name").asText()).isEqualTo("cubic/ods_qlik/EDW.SAMPLE/");
            }
            assertThat(goodEvents.get(0).path("run").path("facets").path("flowledger_correlation")
                    .path("correlationId").asText()).isEqualTo(good);
            MarquezStandIn.events(marquez).forEach(MarquezStandIn::assertValid);
        }
    }

    private static List<JsonNode> awaitEvents(String correlationId, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> MarquezStandIn.eventsOf(marquez, correlationId).size() >= n);
        return MarquezStandIn.eventsOf(marquez, correlationId);
    }
}
