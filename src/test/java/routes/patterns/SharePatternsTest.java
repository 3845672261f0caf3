package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** Optimistic locking, capture response and update-or-insert against WireMock sources/targets, on H2 and PostgreSQL. */
@ExtendWith(PostgresServer.class)
class SharePatternsTest {

    @RegisterExtension
    static WireMockExtension wm = WireMockServers.create();

    @TempDir
    Path routesDir;

    static void answer(String path, String json) {
        wm.stubFor(get(urlPathEqualTo(path)).willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(json)));
    }

    String collect(String pipe, String dataset, String path) {
        return PatternsHarness.template("http-rescan-source", pipe, "dataset", dataset, "url", WireMockServers.url(wm) + path,
                "maxChangeRatio", "10", "period", "3600000", "delay", "100");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_target_row_changed_by_someone_else_is_recorded_as_a_conflict_and_not_overwritten(TestDatabase db) throws Exception {
        answer("/accounts", """
                [{"id":"k1","owner":"Ada"},{"id":"k2","owner":"Bob"}]""");
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("accounts.yaml", collect("accounts-in", "accounts", "/accounts")
                    + PatternsHarness.template("jdbc-sink", "accounts-out", "source", "accounts",
                            "selectSql", "SELECT id, owner FROM ledger_accounts WHERE id = :#id",
                            "insertSql", "INSERT INTO ledger_accounts (id, owner) VALUES (:#id, :#owner)",
                            "updateSql", "UPDATE ledger_accounts SET owner = :#owner WHERE id = :#id",
                            "period", "3600000", "delay", "3600000")).start();
            h.execute("CREATE TABLE ledger_accounts (id VARCHAR(10) PRIMARY KEY, owner VARCHAR(50))");
            h.awaitFirstRun("accounts-in");
            h.run("accounts-out");
            assertThat(h.query("SELECT owner FROM ledger_accounts ORDER BY id")).extracting(r -> r.get("owner"))
                    .containsExactly("Ada", "Bob");

            // A crash between a write and its record: the records are lost and the entities come again. The
            // target already holds them as they are, so that is no conflict and nothing is written again.
            h.execute("DELETE FROM patterns_written WHERE pipe = 'accounts-out'");
            h.post("/api/patterns/pipes/accounts-out/reset", PatternsHarness.API_PASSWORD);
            h.execute("UPDATE ledger_accounts SET owner = 'Ada' WHERE id = 'k1'");
            h.run("accounts-out");
            assertThat(h.query("SELECT * FROM patterns_conflicts")).isEmpty();
            assertThat(h.query("SELECT entity_id FROM patterns_written WHERE pipe = 'accounts-out' ORDER BY entity_id"))
                    .extracting(r -> r.get("entity_id")).containsExactly("k1", "k2");

            h.execute("UPDATE ledger_accounts SET owner = 'Changed by hand' WHERE id = 'k1'");
            answer("/accounts", """
                    [{"id":"k1","owner":"Ada Lovelace"},{"id":"k2","owner":"Bob Builder"}]""");
            h.run("accounts-in");
            h.run("accounts-out");

            assertThat(h.query("SELECT id, owner FROM ledger_accounts ORDER BY id")).extracting(r -> r.get("id") + ":" + r.get("owner"))
                    .containsExactly("k1:Changed by hand", "k2:Bob Builder");
            assertThat(h.query("SELECT entity_id, reason FROM patterns_conflicts WHERE pipe = 'accounts-out'"))
                    .extracting(r -> r.get("entity_id") + ":" + r.get("reason"))
                    .containsExactly("k1:the target's version changed since this pipe wrote it");
            assertThat(h.get("/api/patterns/pipes/accounts-out/conflicts").body()).contains("\"entity_id\":\"k1\"");
            assertThat(h.pipe("accounts-out").get("last_error")).isNull();

            // Without deleteSql a deletion is not shared: the row stays.
            answer("/accounts", """
                    [{"id":"k1","owner":"Ada Lovelace"}]""");
            h.run("accounts-in");
            assertThat(h.deletedIds("accounts")).containsExactly("k2");
            h.run("accounts-out");
            assertThat(h.pipe("accounts-out").get("last_error")).isNull();
            assertThat(h.query("SELECT id FROM ledger_accounts ORDER BY id")).extracting(r -> r.get("id")).containsExactly("k1", "k2");
        }
    }

    String captureYaml() {
        return collect("people-in", "people", "/people")
                + PatternsHarness.template("http-capture-response-action", "people-insert", "source", "people",
                        "url", WireMockServers.url(wm) + "/crm/contacts", "responseDataset", "people-crm-ids",
                        "refField", "crmId", "authorization", "Bearer crm-token-1", "period", "3600000", "delay", "3600000");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void capture_response_sends_each_entity_once_and_keeps_the_targets_answer_in_a_dataset(TestDatabase db) throws Exception {
        answer("/people", """
                [{"id":"p1","name":"Ada"},{"id":"p2","name":"Bob"},{"id":"p3","name":"Cy","crmId":"C-9"}]""");
        wm.stubFor(post(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Ada")))
                .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody("{\"crmId\":\"C-1\"}")));
        wm.stubFor(post(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Bob")))
                .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody("{\"crmId\":\"C-2\"}")));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("people.yaml", captureYaml()).start();
            h.awaitFirstRun("people-in");
            h.run("people-insert");
            h.run("people-insert");
            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Ada"))));
            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Bob"))));
            wm.verify(2, postRequestedFor(urlEqualTo("/crm/contacts")).withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo("Bearer crm-token-1")));
            Map<String, Map<String, Object>> ids = h.live("people-crm-ids");
            assertThat(ids).containsOnlyKeys("p1", "p2");
            assertThat(ids.get("p1")).containsEntry("crmId", "C-1").containsEntry("status_code", 201);
            assertThat(h.query("SELECT entity_id, state FROM patterns_sends ORDER BY entity_id"))
                    .extracting(r -> r.get("entity_id") + ":" + r.get("state")).containsExactly("p1:sent", "p2:sent");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_restart_in_the_middle_of_capture_response_sends_nothing_twice(TestDatabase db) throws Exception {
        answer("/people", """
                [{"id":"p1","name":"Ada"},{"id":"p2","name":"Bob"},{"id":"p3","name":"Cy"}]""");
        wm.stubFor(post(urlEqualTo("/crm/contacts")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withBody("{\"crmId\":\"C-x\"}")));
        // Bob's request reaches the target, but its answer never comes back within the timeout.
        wm.stubFor(post(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Bob")))
                .willReturn(aResponse().withStatus(201).withFixedDelay(4000).withBody("{\"crmId\":\"C-2\"}")));
        PatternsHarness h = new PatternsHarness(db, routesDir);
        try {
            h.routes("people.yaml", captureYaml()).start(Map.of("flowledger.patterns.http-timeout", "1000"));
            h.awaitFirstRun("people-in");
            h.run("people-insert");
            assertThat((String) h.pipe("people-insert").get("last_error")).isNotNull();
            assertThat(h.query("SELECT entity_id, state FROM patterns_sends ORDER BY entity_id"))
                    .extracting(r -> r.get("entity_id") + ":" + r.get("state")).containsExactly("p1:sent", "p2:sending");

            h.stop();
            h.start(Map.of("flowledger.patterns.http-timeout", "1000"));
            h.awaitFirstRun("people-in");
            h.run("people-insert");
            h.run("people-insert");

            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Ada"))));
            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Bob"))));
            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")).withRequestBody(matchingJsonPath("$.name", containing("Cy"))));
            assertThat(h.query("SELECT entity_id, state FROM patterns_sends ORDER BY entity_id"))
                    .extracting(r -> r.get("entity_id") + ":" + r.get("state"))
                    .containsExactly("p1:sent", "p2:uncertain", "p3:sent");
            assertThat(h.live("people-crm-ids")).containsOnlyKeys("p1", "p3");
        } finally {
            h.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_refused_entity_stops_the_run_and_is_sent_again_once_the_target_takes_it(TestDatabase db) throws Exception {
        answer("/people", """
                [{"id":"p1","name":"Ada"}]""");
        wm.stubFor(post(urlEqualTo("/crm/contacts")).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"name too short\"}")));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("people.yaml", captureYaml()).start();
            h.awaitFirstRun("people-in");
            h.run("people-insert");
            assertThat(h.query("SELECT state, status_code FROM patterns_sends")).extracting(r -> r.get("state") + ":" + r.get("status_code"))
                    .containsExactly("failed:422");
            assertThat(h.live("people-crm-ids")).isEmpty();

            wm.stubFor(post(urlEqualTo("/crm/contacts")).willReturn(aResponse().withStatus(201).withBody("{\"crmId\":\"C-1\"}")));
            h.run("people-insert");
            assertThat(h.query("SELECT state FROM patterns_sends")).extracting(r -> r.get("state")).containsExactly("sent");
            assertThat(h.live("people-crm-ids").get("p1")).containsEntry("crmId", "C-1");
            wm.verify(2, postRequestedFor(urlEqualTo("/crm/contacts")));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void update_or_insert_updates_entities_with_a_reference_under_optimistic_locking_and_inserts_the_others(TestDatabase db)
            throws Exception {
        answer("/people", """
                [{"id":"p1","name":"Ada"},{"id":"p2","name":"Bob","crmId":"C-2"},{"id":"p3","name":"Cy","crmId":"C-3"}]""");
        wm.stubFor(post(urlEqualTo("/crm/contacts")).willReturn(aResponse().withStatus(201).withBody("{\"crmId\":\"C-1\"}")));
        answer("/crm/contacts/C-2", "{\"name\":\"Bob (old)\"}");
        answer("/crm/contacts/C-3", "{\"name\":\"Cy (old)\"}");
        wm.stubFor(put(urlPathEqualTo("/crm/contacts/C-2")).willReturn(aResponse().withStatus(200)));
        wm.stubFor(put(urlPathEqualTo("/crm/contacts/C-3")).willReturn(aResponse().withStatus(200)));
        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("people.yaml", captureYaml()
                    + PatternsHarness.template("http-update-sink", "people-update", "source", "people",
                            "url", WireMockServers.url(wm) + "/crm/contacts", "refField", "crmId",
                            "period", "3600000", "delay", "3600000")).start();
            h.awaitFirstRun("people-in");
            h.run("people-insert");
            h.run("people-update");
            wm.verify(1, postRequestedFor(urlEqualTo("/crm/contacts")));
            wm.verify(1, putRequestedFor(urlPathEqualTo("/crm/contacts/C-2")).withRequestBody(matchingJsonPath("$.name", containing("Bob"))));
            wm.verify(1, putRequestedFor(urlPathEqualTo("/crm/contacts/C-3")));
            assertThat(h.live("people-crm-ids")).containsOnlyKeys("p1");

            // The target now holds what the update pipe wrote for C-2; someone edits C-3 in the CRM meanwhile.
            answer("/crm/contacts/C-3", "{\"name\":\"Cy, edited in the CRM\"}");
            answer("/people", """
                    [{"id":"p1","name":"Ada"},{"id":"p2","name":"Bobby","crmId":"C-2"},{"id":"p3","name":"Cyril","crmId":"C-3"}]""");
            h.run("people-in");
            h.run("people-update");
            wm.verify(2, putRequestedFor(urlPathEqualTo("/crm/contacts/C-2")));
            wm.verify(1, putRequestedFor(urlPathEqualTo("/crm/contacts/C-3")));
            assertThat(h.query("SELECT entity_id FROM patterns_conflicts WHERE pipe = 'people-update'"))
                    .extracting(r -> r.get("entity_id")).containsExactly("p3");
        }
    }
}
