package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** Delta stream (durable), parameterized input and clean copy first, against WireMock sources, on H2 and PostgreSQL. */
@ExtendWith(PostgresServer.class)
class MorePatternsTest {

    @RegisterExtension
    static WireMockExtension wm = WireMockServers.create();

    @TempDir
    Path routesDir;

    static void answer(String path, String json) {
        wm.stubFor(get(urlPathEqualTo(path)).willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(json)));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_delta_stream_keeps_every_version_and_a_reset_loses_nothing(TestDatabase db) throws Exception {
        answer("/events", """
                [{"id":"e1","state":"new","t":1},{"id":"e2","state":"new","t":2}]""");
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("events.yaml", PatternsHarness.template("http-delta-source", "events-in", "dataset", "events",
                    "url", WireMockServers.url(wm) + "/events", "sinceField", "t", "maxChangeRatio", "10",
                    "period", "3600000", "delay", "100")).start();
            h.awaitFirstRun("events-in");
            answer("/events", """
                    [{"id":"e1","state":"paid","t":3},{"id":"e2","_deleted":true,"t":4}]""");
            h.run("events-in");
            answer("/events", """
                    [{"id":"e1","state":"shipped","t":5}]""");
            h.run("events-in");

            assertThat(h.live("events")).containsOnlyKeys("e1");
            assertThat(h.deletedIds("events")).containsExactly("e2");
            Datasets ds = h.app.camelContext().getRegistry().lookupByNameAndType("patternsDatasets", Datasets.class);
            assertThat(ds.history("events", "e1")).extracting(e -> e.get("state")).containsExactly("new", "paid", "shipped");
            assertThat(ds.history("events", "e2")).extracting(e -> e.get("_deleted")).containsExactly(false, true);
            assertThat(h.get("/api/patterns/datasets/events/entities/e1/history").body())
                    .contains("\"state\":\"new\"").contains("\"state\":\"paid\"").contains("\"state\":\"shipped\"");

            // The source cannot send the past again: after a reset it only has what is new.
            assertThat(h.post("/api/patterns/pipes/events-in/reset", PatternsHarness.API_PASSWORD).body()).contains("\"outcome\":\"reset\"");
            answer("/events", "[]");
            h.run("events-in");
            assertThat(h.live("events")).containsOnlyKeys("e1");
            assertThat(ds.history("events", "e1")).hasSize(3);
            assertThat(h.live("events").get("e1")).containsEntry("state", "shipped");
        }
    }

    String byIdYaml() {
        return PatternsHarness.template("http-rescan-source", "customer-ids", "dataset", "customer-ids",
                "url", WireMockServers.url(wm) + "/customers/ids", "maxChangeRatio", "10", "period", "3600000", "delay", "100")
                + PatternsHarness.template("http-by-id-source", "customers", "source", "customer-ids", "dataset", "customers",
                        "url", WireMockServers.url(wm) + "/customers", "concurrency", "2", "maxChangeRatio", "10",
                        "period", "3600000", "delay", "3600000");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void parameterized_input_fetches_each_collected_id_retrying_a_failed_request(TestDatabase db) throws Exception {
        answer("/customers/ids", """
                [{"id":"c1"},{"id":"c2"},{"id":"c3"}]""");
        answer("/customers/c1", "{\"name\":\"One\"}");
        answer("/customers/c3", "{\"name\":\"Three\"}");
        wm.stubFor(get(urlPathEqualTo("/customers/c2")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500)).willSetStateTo("ok"));
        wm.stubFor(get(urlPathEqualTo("/customers/c2")).inScenario("flaky").whenScenarioStateIs("ok")
                .willReturn(aResponse().withBody("{\"name\":\"Two\"}")));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("customers.yaml", byIdYaml()).start();
            h.awaitFirstRun("customer-ids");
            h.run("customers");
            Map<String, Map<String, Object>> live = h.live("customers");
            assertThat(live).containsOnlyKeys("c1", "c2", "c3");
            assertThat(live.get("c2")).containsEntry("name", "Two");
            assertThat(h.pipe("customers").get("last_error")).isNull();

            answer("/customers/ids", """
                    [{"id":"c1"},{"id":"c3"},{"id":"c4"}]""");
            answer("/customers/c4", "{\"name\":\"Four\"}");
            h.run("customer-ids");
            h.run("customers");
            assertThat(h.live("customers")).containsOnlyKeys("c1", "c3", "c4");
            assertThat(h.deletedIds("customers")).containsExactly("c2");
            assertThat(wm.findAll(getRequestedFor(urlPathEqualTo("/customers/c1")))).as("unchanged ids are not fetched again").hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void parameterized_input_that_keeps_failing_stores_nothing_and_keeps_its_watermark(TestDatabase db) throws Exception {
        answer("/customers/ids", """
                [{"id":"c1"},{"id":"c2"}]""");
        answer("/customers/c1", "{\"name\":\"One\"}");
        wm.stubFor(get(urlPathEqualTo("/customers/c2")).willReturn(aResponse().withStatus(500)));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("customers.yaml", byIdYaml()).start(Map.of("flowledger.patterns.retries", "2"));
            h.awaitFirstRun("customer-ids");
            h.run("customers");
            assertThat(h.live("customers")).isEmpty();
            assertThat(h.pipe("customers").get("watermark")).isNull();
            assertThat((String) h.pipe("customers").get("last_error")).contains("500");
            assertThat(wm.findAll(getRequestedFor(urlPathEqualTo("/customers/c2"))).size()).as("1 try + 2 retries").isGreaterThanOrEqualTo(3);

            answer("/customers/c2", "{\"name\":\"Two\"}");
            h.run("customers");
            assertThat(h.live("customers")).containsOnlyKeys("c1", "c2");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_clean_copy_keeps_the_source_as_is_and_a_second_pipe_transforms_it_without_reading_the_source_again(TestDatabase db)
            throws Exception {
        answer("/hr/staff", """
                [{"id":"s1","first":"Ada","last":"Lovelace"},{"id":"s2","first":"Alan","last":"Turing"}]""");
        String transform = """
                - route:
                    id: shape-staff
                    from:
                      uri: "direct:shape-staff"
                      steps:
                        - setBody:
                            simple: '{"fullName": "${body[first]} ${body[last]}", "source": "hr"}'
                """;
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("staff.yaml", transform
                    + PatternsHarness.template("http-rescan-source", "staff-raw", "dataset", "staff-raw",
                            "url", WireMockServers.url(wm) + "/hr/staff", "maxChangeRatio", "10", "period", "3600000", "delay", "100")
                    + PatternsHarness.template("dataset-transform-action", "staff", "source", "staff-raw", "dataset", "staff",
                            "transform", "direct:shape-staff", "maxChangeRatio", "10", "period", "3600000", "delay", "3600000")).start();
            h.awaitFirstRun("staff-raw");
            h.run("staff");
            assertThat(h.live("staff-raw").get("s1")).containsEntry("first", "Ada").containsEntry("last", "Lovelace");
            assertThat(h.live("staff").get("s1")).containsEntry("fullName", "Ada Lovelace").containsEntry("source", "hr");
            assertThat(h.live("staff").get("s2")).containsEntry("fullName", "Alan Turing");

            answer("/hr/staff", """
                    [{"id":"s1","first":"Ada","last":"King"}]""");
            h.run("staff-raw");
            h.run("staff");
            assertThat(h.live("staff")).containsOnlyKeys("s1");
            assertThat(h.live("staff").get("s1")).containsEntry("fullName", "Ada King");
            assertThat(h.deletedIds("staff")).containsExactly("s2");

            // A new transformation: reset only the second pipe; the source is not read again.
            int reads = wm.findAll(getRequestedFor(urlPathEqualTo("/hr/staff"))).size();
            assertThat(h.post("/api/patterns/pipes/staff/reset", PatternsHarness.API_PASSWORD).statusCode()).isEqualTo(200);
            assertThat(h.live("staff")).isEmpty();
            h.run("staff");
            assertThat(h.live("staff")).containsOnlyKeys("s1");
            assertThat(wm.findAll(getRequestedFor(urlPathEqualTo("/hr/staff")))).hasSize(reads);
            List<Map<String, Object>> pipes = h.query("SELECT pipe FROM patterns_pipes ORDER BY pipe");
            assertThat(pipes).extracting(r -> r.get("pipe")).containsExactly("staff", "staff-raw");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void parameterized_input_keeps_at_most_concurrency_requests_in_flight(TestDatabase db) throws Exception {
        answer("/customers/ids", """
                [{"id":"c1"},{"id":"c2"},{"id":"c3"},{"id":"c4"},{"id":"c5"},{"id":"c6"}]""");
        wm.stubFor(get(com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/customers/c[0-9]"))
                .willReturn(aResponse().withFixedDelay(400).withBody("{\"name\":\"x\"}")));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("customers.yaml", byIdYaml()).start();
            h.awaitFirstRun("customer-ids");
            h.run("customers");
            assertThat(h.live("customers")).hasSize(6);
            List<Long> starts = wm.findAll(getRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/customers/c[0-9]")))
                    .stream().map(r -> r.getLoggedDate().getTime()).sorted().toList();
            assertThat(starts).hasSize(6);
            int maxInFlight = 0;
            for (long t : starts) {
                // requests received while the one received at t was still being answered (400 ms, with 30 ms slack)
                int inFlight = (int) starts.stream().filter(o -> o <= t && o + 370 > t).count();
                maxInFlight = Math.max(maxInFlight, inFlight);
            }
            assertThat(maxInFlight).as("requests in flight at once, concurrency 2").isEqualTo(2);
        }
    }
}
