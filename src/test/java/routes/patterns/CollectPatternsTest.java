package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.common.status.StatusEvent;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** since, deletion tracking by rescan and the circuit breaker, against WireMock sources, on H2 and PostgreSQL. */
@ExtendWith(PostgresServer.class)
class CollectPatternsTest {

    @RegisterExtension
    static WireMockExtension source = WireMockServers.create();

    @TempDir
    Path routesDir;

    static void answer(String path, String json) {
        source.stubFor(get(urlPathEqualTo(path)).willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(json)));
    }

    static final String THREE = """
            [{"id":"a","v":1},{"id":"b","v":1},{"id":"c","v":1},{"id":"d","v":1}]""";

    String rescanYaml() {
        return PatternsHarness.template("http-rescan-source", "stock-rescan", "dataset", "stock",
                "url", WireMockServers.url(source) + "/stock", "period", "3600000", "delay", "100")
                + PatternsHarness.template("jdbc-sink", "stock-share", "source", "stock",
                        "selectSql", "SELECT id, v FROM stock_target WHERE id = :#id",
                        "insertSql", "INSERT INTO stock_target (id, v) VALUES (:#id, :#v)",
                        "updateSql", "UPDATE stock_target SET v = :#v WHERE id = :#id",
                        "deleteSql", "DELETE FROM stock_target WHERE id = :#id", "period", "3600000", "delay", "3600000");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_rescan_marks_entities_no_longer_in_the_source_deleted_and_the_deletion_reaches_the_target(TestDatabase db) throws Exception {
        answer("/stock", THREE);
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("stock.yaml", rescanYaml()).start();
            h.execute("CREATE TABLE stock_target (id VARCHAR(10) PRIMARY KEY, v INTEGER)");
            h.awaitFirstRun("stock-rescan");
            h.run("stock-share");
            assertThat(h.query("SELECT id FROM stock_target ORDER BY id")).hasSize(4);

            answer("/stock", """
                    [{"id":"a","v":1},{"id":"b","v":2},{"id":"c","v":1}]""");
            h.run("stock-rescan");
            assertThat(h.live("stock")).containsOnlyKeys("a", "b", "c");
            assertThat(h.deletedIds("stock")).containsExactly("d");
            assertThat(h.query("SELECT version FROM patterns_entities WHERE dataset = 'stock' AND entity_id = 'b'").get(0).get("version"))
                    .isEqualTo(2L);
            h.run("stock-share");
            assertThat(h.query("SELECT id, v FROM stock_target ORDER BY id")).extracting(r -> r.get("id") + "=" + r.get("v"))
                    .containsExactly("a=1", "b=2", "c=1");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_empty_response_trips_the_breaker_halts_the_pipe_and_deletes_nothing_until_rolled_back(TestDatabase db) throws Exception {
        answer("/stock", THREE);
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("stock.yaml", rescanYaml()).start();
            h.execute("CREATE TABLE stock_target (id VARCHAR(10) PRIMARY KEY, v INTEGER)");
            h.awaitFirstRun("stock-rescan");
            h.run("stock-share");

            List<StatusEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            AdviceWith.adviceWith(h.app.camelContext(), "status-emit",
                    a -> a.weaveAddFirst().process(e -> events.add(e.getMessage().getBody(StatusEvent.class))));
            answer("/stock", "[]");
            h.run("stock-rescan");
            assertThat(events).filteredOn(StatusEvent::isRunLevel).extracting(e -> e.properties().status())
                    .containsExactly("IN_PROGRESS", "FAILED");
            assertThat(events.get(1).properties().message()).contains("circuit breaker tripped").contains("returned nothing");
            assertThat(events.get(1).properties().stage()).isEqualTo("PATTERNS:stock-rescan");
            Map<String, Object> pipe = h.pipe("stock-rescan");
            assertThat(pipe.get("state")).isEqualTo("halted");
            assertThat((String) pipe.get("halted_reason")).contains("returned nothing");
            assertThat(h.live("stock")).containsOnlyKeys("a", "b", "c", "d");
            assertThat(h.deletedIds("stock")).isEmpty();
            assertThat(h.query("SELECT * FROM patterns_staged WHERE pipe = 'stock-rescan'")).hasSize(4);
            h.run("stock-share");
            assertThat(h.query("SELECT id FROM stock_target")).as("nothing deleted downstream").hasSize(4);

            int requests = source.findAll(getRequestedFor(urlPathEqualTo("/stock"))).size();
            events.clear();
            h.run("stock-rescan");
            assertThat(source.findAll(getRequestedFor(urlPathEqualTo("/stock")))).as("a halted pipe does not read its source")
                    .hasSize(requests);
            assertThat(events).extracting(e -> e.properties().status()).containsExactly("SKIPPED");
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + h.app.managementPort() + "/observe/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("flowledger_patterns_breaker_trips_total{pipe=\"stock-rescan\"} 1.0")
                    .contains("flowledger_patterns_entities_stored_total{change=\"inserted\",pipe=\"stock-rescan\"} 4.0");

            assertThat(h.post("/api/patterns/pipes/stock-rescan/circuit-breaker/rollback", null).statusCode()).isEqualTo(401);
            assertThat(h.post("/api/patterns/pipes/stock-rescan/circuit-breaker/rollback", PatternsHarness.API_PASSWORD).body())
                    .contains("\"outcome\":\"rolled-back\"").contains("\"entities\":4");
            assertThat(h.pipe("stock-rescan").get("state")).isEqualTo("running");
            assertThat(h.deletedIds("stock")).isEmpty();

            answer("/stock", THREE);
            h.run("stock-rescan");
            assertThat(h.pipe("stock-rescan").get("state")).isEqualTo("running");
            assertThat(h.live("stock")).containsOnlyKeys("a", "b", "c", "d");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_run_changing_more_than_max_change_ratio_is_held_and_an_operator_commit_writes_it(TestDatabase db) throws Exception {
        answer("/stock", THREE);
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("stock.yaml", rescanYaml()).start();
            h.awaitFirstRun("stock-rescan");

            answer("/stock", """
                    [{"id":"a","v":9},{"id":"x","v":1}]""");
            h.run("stock-rescan");
            assertThat(h.pipe("stock-rescan").get("state")).isEqualTo("halted");
            assertThat((String) h.pipe("stock-rescan").get("halted_reason")).contains("would change 5 of 4");
            assertThat(h.live("stock")).containsOnlyKeys("a", "b", "c", "d");
            assertThat(h.live("stock").get("a").get("v")).isEqualTo(1);

            assertThat(h.post("/api/patterns/pipes/stock-rescan/circuit-breaker/commit", PatternsHarness.API_PASSWORD).body())
                    .contains("\"outcome\":\"committed\"").contains("\"entities\":5");
            assertThat(h.live("stock")).containsOnlyKeys("a", "x");
            assertThat(h.live("stock").get("a").get("v")).isEqualTo(9);
            assertThat(h.deletedIds("stock")).containsExactly("b", "c", "d");
            assertThat(h.pipe("stock-rescan").get("state")).isEqualTo("running");
            assertThat(h.pipe("stock-rescan").get("last_run_count")).isEqualTo(2L);
        }
    }

    String sinceYaml() {
        return PatternsHarness.template("http-since-source", "orders", "dataset", "orders",
                "url", WireMockServers.url(source) + "/orders", "sinceField", "seq", "sinceParam", "after",
                "maxChangeRatio", "5", "authorization", "Bearer orders-token-1", "period", "3600000", "delay", "100");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_failed_since_run_keeps_the_watermark_so_the_next_run_asks_for_the_same_changes(TestDatabase db) throws Exception {
        answer("/orders", """
                [{"id":"o1","seq":7},{"id":"o2","seq":12}]""");
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("orders.yaml", sinceYaml()).start();
            h.awaitFirstRun("orders");
            assertThat(h.pipe("orders").get("watermark")).isEqualTo("12");

            source.stubFor(get(urlPathEqualTo("/orders")).willReturn(aResponse().withStatus(503)));
            h.run("orders");
            assertThat(h.pipe("orders").get("watermark")).isEqualTo("12");
            assertThat((String) h.pipe("orders").get("last_error")).contains("503");

            answer("/orders", """
                    [{"id":"o3","seq":15},{"seq":16}]""");
            h.run("orders");
            assertThat((String) h.pipe("orders").get("last_error")).contains("has no 'id' field");
            assertThat(h.live("orders")).as("a bad batch stores nothing").containsOnlyKeys("o1", "o2");
            assertThat(h.pipe("orders").get("watermark")).isEqualTo("12");

            answer("/orders", """
                    [{"id":"o3","seq":15},{"id":"o1","seq":16,"paid":true}]""");
            h.run("orders");
            List<String> afters = source.findAll(getRequestedFor(urlPathEqualTo("/orders"))).stream()
                    .map(r -> r.queryParameter("after").isPresent() ? r.queryParameter("after").firstValue() : "-").toList();
            assertThat(afters.get(0)).isEqualTo("-");
            assertThat(afters.subList(1, afters.size())).as("every later run asked after 12").hasSizeGreaterThanOrEqualTo(3).containsOnly("12");
            assertThat(h.pipe("orders").get("watermark")).isEqualTo("16");
            assertThat(h.live("orders")).containsOnlyKeys("o1", "o2", "o3");
            assertThat(h.live("orders").get("o1")).containsEntry("paid", true);
            assertThat(h.pipe("orders").get("last_error")).isNull();
            source.verify(getRequestedFor(urlPathEqualTo("/orders")).withQueryParam("after", equalTo("12")));
            assertThat(source.findAll(getRequestedFor(urlPathEqualTo("/orders"))))
                    .allMatch(r -> "Bearer orders-token-1".equals(r.getHeader("Authorization")));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_sql_since_source_reads_only_rows_changed_after_its_watermark(TestDatabase db) throws Exception {
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("items.yaml", PatternsHarness.template("jdbc-since-source", "items", "dataset", "items",
                    "query", "SELECT id, label, version FROM src_items WHERE version > CAST(:#since AS BIGINT) ORDER BY version",
                    "sinceField", "version", "maxChangeRatio", "5", "period", "3600000", "delay", "3600000")).start();
            h.execute("CREATE TABLE src_items (id VARCHAR(10) PRIMARY KEY, label VARCHAR(20), version BIGINT)");
            h.execute("INSERT INTO src_items VALUES ('i1', 'one', 1), ('i2', 'two', 2)");
            h.run("items");
            assertThat(h.live("items")).containsOnlyKeys("i1", "i2");
            assertThat(h.pipe("items").get("watermark")).isEqualTo("2");

            h.execute("UPDATE src_items SET label = 'uno', version = 3 WHERE id = 'i1'");
            h.execute("INSERT INTO src_items VALUES ('i3', 'three', 4)");
            h.run("items");
            assertThat(h.pipe("items").get("watermark")).isEqualTo("4");
            assertThat(h.live("items").get("i1")).containsEntry("label", "uno");
            assertThat(h.live("items")).containsOnlyKeys("i1", "i2", "i3");
            assertThat(h.query("SELECT version FROM patterns_entities WHERE dataset = 'items' AND entity_id = 'i2'").get(0).get("version"))
                    .as("an unchanged row is not rewritten").isEqualTo(1L);
        }
    }
}
