package routes.patterns;

import routes.app.StartupChecks;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.app.ConfigException;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** The dataset/pipe API as an operator uses it, the rules in isolation, and the configuration check. */
class PatternsApiTest {

    @RegisterExtension
    static WireMockExtension wm = WireMockServers.create();

    @TempDir
    Path routesDir;

    @Test
    void the_api_reads_a_dataset_page_by_page_and_answers_pipes_and_refuses_control_calls_without_credentials() throws Exception {
        wm.stubFor(get(urlPathEqualTo("/things")).willReturn(aResponse().withBody("""
                [{"id":"t1","n":1},{"id":"t2","n":2},{"id":"t3","n":3}]""")));
        try (PatternsHarness h = new PatternsHarness(TestDatabase.H2, routesDir)) {
            h.routes("things.yaml", PatternsHarness.template("http-rescan-source", "things-in", "dataset", "things",
                    "url", WireMockServers.url(wm) + "/things", "period", "3600000", "delay", "100")).start();
            h.awaitFirstRun("things-in");
            ObjectMapper json = new ObjectMapper();

            JsonNode page1 = json.readTree(h.get("/api/patterns/datasets/things?limit=2").body());
            assertThat(page1).hasSize(2);
            assertThat(page1.get(0).get("_id").asText()).isEqualTo("t1");
            assertThat(page1.get(0).get("n").asInt()).isEqualTo(1);
            assertThat(page1.get(0).get("_deleted").asBoolean()).isFalse();
            assertThat(page1.get(0).get("_hash").asText()).hasSize(64);
            long seq = page1.get(1).get("_seq").asLong();
            JsonNode page2 = json.readTree(h.get("/api/patterns/datasets/things?since=" + seq).body());
            assertThat(page2).hasSize(1);
            assertThat(page2.get(0).get("_id").asText()).isEqualTo("t3");

            var pipes = h.get("/api/patterns/pipes");
            assertThat(pipes.statusCode()).as(pipes.body()).isEqualTo(200);
            assertThat(pipes.body()).contains("\"pipe\":\"things-in\"").contains("\"state\":\"running\"");
            assertThat(h.get("/api/patterns/pipes/things-in").body()).contains("\"dataset\":\"things\"");
            assertThat(h.get("/api/patterns/pipes/nope").statusCode()).isEqualTo(404);

            assertThat(h.post("/api/patterns/pipes/things-in/reset", null).statusCode()).isEqualTo(401);
            assertThat(h.post("/api/patterns/pipes/things-in/reset", "wrong").statusCode()).isEqualTo(401);
            assertThat(h.live("things")).hasSize(3);
            assertThat(h.post("/api/patterns/pipes/things-in/circuit-breaker/commit", PatternsHarness.API_PASSWORD).body())
                    .contains("\"outcome\":\"not-halted\"");

            long runs = h.runs("things-in");
            assertThat(h.post("/api/patterns/pipes/things-in/run", PatternsHarness.API_PASSWORD).body()).contains("\"pipe\":\"things-in\"");
            assertThat(h.runs("things-in")).isEqualTo(runs + 1);
        }
    }

    @Test
    void the_breaker_trips_on_an_empty_full_read_and_on_too_many_changes_only() {
        CircuitBreaker b = new CircuitBreaker(0.5);
        assertThat(b.check(0, 10L, true, 10, 10)).contains("returned nothing");
        assertThat(b.check(0, 0L, true, 0, 0)).isNull();
        assertThat(b.check(0, 10L, false, 10, 0)).as("an incremental run with no changes is normal").isNull();
        assertThat(b.check(10, 10L, true, 10, 5)).isNull();
        assertThat(b.check(10, 10L, true, 10, 6)).contains("6 of 10");
        assertThat(b.check(100, null, true, 0, 100)).as("the first load of an empty dataset").isNull();
    }

    @Test
    void the_hash_of_an_entity_ignores_field_order_and_metadata() {
        assertThat(EntityHash.of(Map.of("a", 1, "b", Map.of("x", 1, "y", 2))))
                .isEqualTo(EntityHash.of(new java.util.TreeMap<>(Map.of("b", Map.of("y", 2, "x", 1), "a", 1, "_seq", 9))));
        assertThat(EntityHash.of(Map.of("a", 1))).isNotEqualTo(EntityHash.of(Map.of("a", 2)));
        assertThat(Datasets.max("9", "10")).isEqualTo("10");
        assertThat(Datasets.max("2026-11-20T10:00:00Z", "2026-11-19T23:00:00Z")).isEqualTo("2026-11-20T10:00:00Z");
    }

    @Test
    void a_bad_max_change_ratio_is_refused_naming_the_key() {
        assertThatThrownBy(() -> StartupChecks.validate(TestApp.config(Map.of("flowledger.patterns.enabled", "true",
                "flowledger.patterns.max-change-ratio", "none"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("flowledger.patterns.max-change-ratio");
        assertThatThrownBy(() -> StartupChecks.validate(TestApp.config(Map.of("flowledger.patterns.enabled", "true",
                "flowledger.patterns.concurrency", "0"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("flowledger.patterns.concurrency");
    }
}
