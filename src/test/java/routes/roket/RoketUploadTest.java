package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEvent;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** A date's rows reach Roket once, whatever Roket answers; the ledger says exactly what happened. */
@ExtendWith(PostgresServer.class)
class RoketUploadTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = RoketFixture.DATE;

    private void roketStores() {
        roket.stubFor(post(urlPathEqualTo("/api/records"))
                .withHeader("Authorization", equalTo("Bearer " + RoketFixture.TOKEN))
                .willReturn(aResponse().withStatus(201).withBody("{\"stored\":true}")));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void every_row_is_delivered_once_and_a_rerun_of_the_delivered_date_sends_nothing(TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 250).rows("2026-11-21", 1000, 1010);
        roketStores();
        try (FlowledgerApp app = RoketFixture.start(f.settings(roket))) {
            RoketRun.Summary first = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(first.succeeded()).as(first.format()).isTrue();
            assertThat(first.rowsRead()).isEqualTo(250);
            assertThat(first.delivered()).isEqualTo(250);
            assertThat(first.batches()).isEqualTo(3);
            Map<String, Integer> stored = RoketFixture.stored(roket);
            assertThat(stored).containsOnlyKeys(RoketFixture.ids(0, 250));
            assertThat(stored.values()).containsOnly(1);
            assertThat(RoketFixture.requests(roket)).isEqualTo(3);

            RoketRun.Summary again = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(again.succeeded()).isTrue();
            assertThat(again.skipped()).isEqualTo(250);
            assertThat(again.sent()).isZero();
            assertThat(RoketFixture.requests(roket)).as("nothing sent on the re-run").isEqualTo(3);

            List<Map<String, Object>> batches = RoketFixture.uploads(app).ledger().batches(DATE);
            assertThat(batches).hasSize(3).allSatisfy(b -> {
                assertThat(b.get("state")).isEqualTo("DELIVERED");
                assertThat(((Number) b.get("http_status")).intValue()).isEqualTo(201);
                assertThat(((Number) b.get("attempts")).intValue()).isEqualTo(1);
            });
            assertThat(RoketFixture.uploads(app).ledger().runs(DATE)).extracting(r -> r.get("state"))
                    .containsExactly("SUCCEEDED", "SUCCEEDED");
        }
        // Each record went out as a JSON object of its columns by label, dates as ISO-8601 strings.
        String body = roket.getAllServeEvents().get(0).getRequest().getBodyAsString();
        assertThat(body).contains("\"sale_date\":\"2026-11-20\"").containsPattern("\"sold_at\":\"2026-11-20T10:00(:00)?\"")
                .containsPattern("\"amount\":\\d+\\.25");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_rerun_with_reordered_and_late_rows_sends_only_the_late_ones(TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 150);
        roketStores();
        Map<String, String> settings = f.settings(roket);
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            assertThat(RoketFixture.uploads(app).upload(DATE, "test", false).succeeded()).isTrue();
        }
        f.rows(DATE, 150, 180);
        settings.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY amount DESC");
        settings.put("flowledger.roket.source.count-query", "SELECT COUNT(*) FROM sales WHERE sale_date = :#date");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(events.get(0).properties().recordCount()).as("from the count query").isEqualTo(180L);
            assertThat(s.succeeded()).isTrue();
            assertThat(s.rowsRead()).isEqualTo(180);
            assertThat(s.skipped()).isEqualTo(150);
            assertThat(s.delivered()).isEqualTo(30);
        }
        Map<String, Integer> stored = RoketFixture.stored(roket);
        assertThat(stored).containsOnlyKeys(RoketFixture.ids(0, 180));
        assertThat(stored.values()).containsOnly(1);
    }

    @Test
    void busy_503s_and_429_with_retry_after_are_retried_until_every_record_is_delivered() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 200);
        // Every request first gets 503, then 429 with Retry-After: 1, then is stored.
        roket.stubFor(post(urlPathEqualTo("/api/records")).inScenario("faults").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("throttle"));
        roket.stubFor(post(urlPathEqualTo("/api/records")).inScenario("faults").whenScenarioStateIs("throttle")
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")).willSetStateTo("ok"));
        roket.stubFor(post(urlPathEqualTo("/api/records")).inScenario("faults").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.concurrency", "1");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            long t0 = System.nanoTime();
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(s.succeeded()).as(s.format()).isTrue();
            assertThat(s.retries()).isEqualTo(2);
            assertThat(ms).as("Retry-After: 1 was honoured over the 50 ms backoff").isGreaterThanOrEqualTo(1000);
            // concurrency 1 = one batch at a time: the first takes the 503 and the 429, the second goes through.
            assertThat(RoketFixture.uploads(app).ledger().batches(DATE))
                    .extracting(b -> ((Number) b.get("attempts")).intValue()).as("attempts written down")
                    .containsExactly(3, 1);
        }
        Map<String, Integer> stored = RoketFixture.stored(roket);
        assertThat(stored).containsOnlyKeys(RoketFixture.ids(0, 200));
        assertThat(stored.values()).containsOnly(1);
    }

    @Test
    void retries_used_up_leave_the_batch_failed_and_a_rerun_delivers_it() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 50);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(500)));
        Map<String, String> settings = f.settings(roket);
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.failed()).isEqualTo(50);
            assertThat(RoketFixture.requests(roket)).isEqualTo(4);
            roket.resetAll();
            roketStores();
            RoketRun.Summary again = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(again.succeeded()).isTrue();
            assertThat(again.delivered()).isEqualTo(50);
            assertThat(again.possibleDuplicates()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_batch_with_two_refused_records_delivers_the_other_98_and_rejects_exactly_those_two(TestDatabase db)
            throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 100);
        String bad1 = RoketFixture.id(17);
        String bad2 = RoketFixture.id(62);
        roketStores();
        // Roket refuses any request holding a bad record, and stores nothing of it.
        for (String bad : List.of(bad1, bad2)) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                    .atPriority(1).willReturn(aResponse().withStatus(422)
                            .withBody("{\"error\":\"invalid record\",\"id\":\"" + bad + "\"}")));
        }
        try (FlowledgerApp app = RoketFixture.start(f.settings(roket))) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.delivered()).isEqualTo(98);
            assertThat(s.rejected()).isEqualTo(2);
            RoketQueries ledger = RoketFixture.uploads(app).ledger();
            assertThat(ledger.rejectedRecordIds(DATE)).containsExactly(bad1, bad2);
            assertThat(ledger.batches(DATE)).filteredOn(b -> "REJECTED".equals(b.get("state")))
                    .hasSize(2).allSatisfy(b -> {
                        assertThat(((Number) b.get("record_count")).intValue()).isEqualTo(1);
                        assertThat(((Number) b.get("http_status")).intValue()).isEqualTo(422);
                        assertThat((String) b.get("response_excerpt")).contains("invalid record");
                    });
            assertThat(events).filteredOn(e -> "FAILED".equals(e.properties().status())
                            && e.properties().recordId() != null && !e.properties().recordId().startsWith("batch/"))
                    .extracting(e -> e.properties().recordId() + ":" + e.properties().errorCode())
                    .containsExactlyInAnyOrder(bad1 + ":422", bad2 + ":422");
        }
        Map<String, Integer> stored = RoketFixture.stored(roket);
        List<String> expected = RoketFixture.ids(0, 100);
        expected.removeAll(List.of(bad1, bad2));
        assertThat(stored).containsOnlyKeys(expected);
        assertThat(stored.values()).as("narrowing down never duplicates").containsOnly(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_batch_stored_then_unanswered_is_sent_again_at_the_end_of_the_same_run_as_possible_duplicates(TestDatabase db)
            throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 300);
        roketStores();
        // The first request holding s-00150 is stored but answered only after the request timeout; later ones at once.
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"s-00150\""))
                .inScenario("hang-once").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("answered")
                .atPriority(1).willReturn(aResponse().withStatus(201).withFixedDelay(2500)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.request-timeout", "1000");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).as("the run finished its date: " + s.format()).isTrue();
            assertThat(s.uncertain()).isZero();
            assertThat(s.delivered()).isEqualTo(300);
            assertThat(s.possibleDuplicates()).isEqualTo(100);
            assertThat(events).filteredOn(e -> "SUCCESS".equals(e.properties().status())
                    && e.properties().message().contains("possible duplicates)")).hasSize(1);
            await().atMost(Duration.ofSeconds(20)).until(() -> RoketFixture.stored(roket).values().stream()
                    .mapToInt(Integer::intValue).sum() == 400);
            Map<String, Integer> stored = RoketFixture.stored(roket);
            assertThat(stored).containsOnlyKeys(RoketFixture.ids(0, 300));
            RoketQueries ledger = RoketFixture.uploads(app).ledger();
            assertThat(stored.entrySet().stream().filter(e -> e.getValue() == 2).map(Map.Entry::getKey))
                    .as("arrived twice = what the ledger reported uncertain")
                    .containsExactlyInAnyOrderElementsOf(RoketFixture.uncertainRecordIds(ledger, DATE));
            assertThat(ledger.batches(DATE)).filteredOn(b -> "UNCERTAIN".equals(b.get("state")))
                    .singleElement().satisfies(b -> assertThat(b.get("resolution")).isEqualTo("RESENT"));
            // The date is complete: a re-run sends nothing.
            assertThat(RoketFixture.uploads(app).upload(DATE, "test", false).sent()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_batch_roket_never_answers_stays_uncertain_and_the_next_run_delivers_it_reporting_possible_duplicates(
            TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 300);
        roketStores();
        // Every request holding s-00150 is stored but answered only after the request timeout (also the resend).
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"s-00150\""))
                .atPriority(1).willReturn(aResponse().withStatus(201).withFixedDelay(2500)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.request-timeout", "1000");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.uncertain()).as("the same 100 records, sent twice").isEqualTo(100);
            assertThat(s.delivered()).isEqualTo(200);
            assertThat(events).filteredOn(e -> e.isRunLevel() && "FAILED".equals(e.properties().status()))
                    .singleElement().satisfies(e -> assertThat(e.properties().message()).contains("uncertain 100"));
        }
        // Roket finishes storing the late requests after flowledger gave up waiting.
        await().atMost(Duration.ofSeconds(20)).until(() -> RoketFixture.stored(roket).values().stream()
                .mapToInt(Integer::intValue).sum() == 400);
        Map<String, Integer> firstRun = RoketFixture.stored(roket);
        roket.resetAll();
        roketStores();
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).as(s.format()).isTrue();
            assertThat(s.possibleDuplicates()).isEqualTo(100);
            RoketFixture.stored(roket).forEach((id, n) -> firstRun.merge(id, n, Integer::sum));
            assertThat(firstRun).as("every record arrived").containsOnlyKeys(RoketFixture.ids(0, 300));
            assertThat(firstRun.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey))
                    .as("arrived more than once = what the ledger reported uncertain")
                    .containsExactlyInAnyOrderElementsOf(RoketFixture.uncertainRecordIds(RoketFixture.uploads(app).ledger(), DATE));
            assertThat(firstRun.values()).containsOnly(1, 3);
            assertThat(s.skipped()).isEqualTo(200);
            assertThat(RoketFixture.uploads(app).ledger().batches(DATE))
                    .filteredOn(b -> "UNCERTAIN".equals(b.get("state"))).hasSize(2)
                    .allSatisfy(b -> assertThat(b.get("resolution")).isEqualTo("RESENT"));
        }
    }

    @Test
    void hold_keeps_uncertain_records_out_until_release_held() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 200);
        roketStores();
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"s-00000\""))
                .atPriority(1).willReturn(aResponse().withStatus(201).withFixedDelay(2500)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.request-timeout", "1000");
        settings.put("flowledger.roket.on-uncertain", "hold");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(app);
            assertThat(uploads.upload(DATE, "test", false).uncertain()).isEqualTo(100);
            await().atMost(Duration.ofSeconds(20)).until(() -> RoketFixture.stored(roket).size() == 200);
            roket.resetAll();
            roketStores();
            RoketRun.Summary held = uploads.upload(DATE, "test", false);
            assertThat(held.succeeded()).isFalse();
            assertThat(held.held()).isEqualTo(100);
            assertThat(held.sent()).isZero();
            assertThat(RoketFixture.requests(roket)).isZero();

            RoketRun.Summary released = uploads.upload(DATE, "test", true);
            assertThat(released.succeeded()).as(released.format()).isTrue();
            assertThat(released.delivered()).isEqualTo(100);
            assertThat(RoketFixture.stored(roket)).containsOnlyKeys(RoketFixture.ids(0, 100));
            assertThat(uploads.ledger().batches(DATE)).filteredOn(b -> "UNCERTAIN".equals(b.get("state")))
                    .singleElement().satisfies(b -> assertThat(b.get("resolution")).isEqualTo("RELEASED"));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_empty_date_fails_with_a_clear_message_unless_empty_is_allowed(TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 10);
        roketStores();
        Map<String, String> settings = f.settings(roket);
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload("2026-11-19", "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.message()).contains("returned no rows for 2026-11-19").contains("flowledger.roket.allow-empty");
        }
        // A source that counts rows and then streams none (answering empty now and then) fails too.
        settings.put("flowledger.roket.source.count-query", "SELECT COUNT(*) FROM sales WHERE sale_date <> :#date");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload("2026-11-19", "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.message()).contains("returned no rows for 2026-11-19");
        }
        settings.remove("flowledger.roket.source.count-query");
        settings.put("flowledger.roket.allow-empty", "true");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload("2026-11-19", "test", false);
            assertThat(s.succeeded()).isTrue();
            assertThat(s.rowsRead()).isZero();
        }
        assertThat(RoketFixture.requests(roket)).isZero();
    }

    @Test
    void status_messages_carry_the_run_id_dataset_details_one_per_batch_and_a_final_status() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 250);
        roketStores();
        try (FlowledgerApp app = RoketFixture.start(f.settings(roket))) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(events).allSatisfy(e -> assertThat(e.properties().correlationId()).isEqualTo(s.runId()));
            // No count query configured: the rows read are the dataset's record count, told once the stream ended.
            assertThat(events).filteredOn(e -> "dataSetDetails".equals(e.kind())).singleElement().satisfies(d -> {
                assertThat(d.properties().dataSetId()).isEqualTo("roket-upload/" + DATE);
                assertThat(d.properties().recordCount()).isEqualTo(250L);
            });
            assertThat(events).filteredOn(e -> e.properties().recordId() != null).hasSize(3)
                    .allSatisfy(e -> {
                        assertThat(e.properties().stage()).isEqualTo("ROKET_UPLOAD");
                        assertThat(e.properties().status()).isEqualTo("SUCCESS");
                    });
            // Each batch's status says how many records it covers: progress counts records, not batches.
            assertThat(events).filteredOn(e -> e.properties().recordId() != null)
                    .extracting(e -> e.properties().recordCount()).containsExactlyInAnyOrder(100L, 100L, 50L);
            StatusEvent last = events.get(events.size() - 1);
            assertThat(last.isRunLevel()).isTrue();
            assertThat(last.properties().status()).isEqualTo("SUCCESS");
        }
    }

    @Test
    void a_wrong_token_stops_the_run_without_retrying() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 300);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(401)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.concurrency", "1");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).isFalse();
            assertThat(s.message()).contains("flowledger.roket.api.token");
            assertThat(s.retries()).isZero();
            assertThat(RoketFixture.requests(roket)).isLessThanOrEqualTo(2);
        }
    }

    static Map<String, Integer> copy(Map<String, Integer> m) {
        return new HashMap<>(m);
    }

    static String joined(List<String> ids) {
        return ids.stream().collect(Collectors.joining(","));
    }
}
