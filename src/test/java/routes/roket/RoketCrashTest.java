package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import routes.app.FlowledgerApp;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * The process dies mid-run (its ledger connection goes away and Camel stops, the way a killed JVM leaves the
 * ledger: only committed writes remain, the date's claim is never released), then a new instance re-runs the date:
 * every record arrives, and only records the ledger reports as uncertain can arrive twice.
 */
@ExtendWith(PostgresServer.class)
class RoketCrashTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = RoketFixture.DATE;
    private static final int ROWS = 100;
    private static final int BATCH = 10;

    static List<Arguments> crashPoints() {
        return List.of(
                Arguments.of(TestDatabase.H2, 0), Arguments.of(TestDatabase.H2, 5), Arguments.of(TestDatabase.H2, 10),
                Arguments.of(TestDatabase.POSTGRES, 0), Arguments.of(TestDatabase.POSTGRES, 5),
                Arguments.of(TestDatabase.POSTGRES, 10));
    }

    /** {@code requestsBeforeCrash}: 0 = before any batch, 5 = mid-way, 10 = while the last batch is in flight. */
    @ParameterizedTest(name = "{0}: crash after {1} of 10 requests")
    @MethodSource("crashPoints")
    void a_rerun_after_a_crash_delivers_everything_and_only_uncertain_records_twice(TestDatabase db,
                                                                                    int requestsBeforeCrash)
            throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, ROWS);
        roket.stubFor(post(urlPathEqualTo("/api/records"))
                .willReturn(aResponse().withStatus(201).withFixedDelay(300)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.batch-size", String.valueOf(BATCH));
        settings.put("flowledger.roket.concurrency", "2");
        // Long enough that a loaded machine never turns the 300 ms answers into timeouts.
        settings.put("flowledger.roket.request-timeout", "5000");

        FlowledgerApp first = RoketFixture.start(settings);
        RoketRun run = RoketFixture.uploads(first).start(DATE, "test", false);
        if (requestsBeforeCrash > 0) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> roket.getAllServeEvents().size() >= requestsBeforeCrash);
        }
        crash(first);
        assertThat(run.runId).isNotBlank();

        // The same date on a new instance, once the dead run's claim has gone stale (lock-timeout 1 s).
        try (FlowledgerApp second = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(second);
            AtomicReference<RoketRun.Summary> rerun = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).ignoreException(RoketLedger.DateBusyException.class)
                    .until(() -> {
                        rerun.set(uploads.upload(DATE, "test", false));
                        return true;
                    });
            RoketRun.Summary s = rerun.get();
            assertThat(s.succeeded()).as(s.format()).isTrue();

            // Roket may still be answering what the dead process had in flight.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(RoketFixture.stored(roket))
                    .as("every record arrived").containsOnlyKeys(RoketFixture.ids(0, ROWS)));
            Map<String, Integer> stored = RoketFixture.stored(roket);
            Set<String> twice = stored.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            Set<String> uncertain = RoketFixture.uncertainRecordIds(uploads.ledger(), DATE);
            assertThat(stored.values()).as("never more than twice").allMatch(n -> n <= 2);
            assertThat(uncertain).as("records that arrived twice were reported uncertain").containsAll(twice);
            assertThat(s.possibleDuplicates()).isEqualTo(uncertain.size());
            assertThat(uploads.ledger().batches(DATE)).extracting(b -> (String) b.get("state"))
                    .as("nothing is left SENDING").doesNotContain("SENDING");
        }
    }

    @org.junit.jupiter.api.Test
    void a_run_the_service_started_is_finished_by_another_instance_once_its_instance_died() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.POSTGRES).rows(DATE, 0, ROWS);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201).withFixedDelay(300)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.batch-size", String.valueOf(BATCH));
        settings.put("flowledger.roket.concurrency", "2");
        settings.put("flowledger.roket.request-timeout", "5000");

        FlowledgerApp first = RoketFixture.start(settings);
        RoketRun run = RoketFixture.uploads(first).start(DATE, "api", false);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> roket.getAllServeEvents().size() >= 4);
        crash(first);

        // Nobody asks the second instance to do anything: its recovery finds the run without a heartbeat.
        try (FlowledgerApp second = RoketFixture.start(settings)) {
            RoketQueries ledger = RoketFixture.uploads(second).ledger();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> ledger.runs(DATE)
                    .stream().anyMatch(r -> "SUCCEEDED".equals(r.get("state")) && "takeover".equals(r.get("trigger_name"))));
            assertThat(ledger.runs(DATE)).filteredOn(r -> run.runId.equals(r.get("run_id"))).extracting(r -> r.get("state"))
                    .as("the dead run is ended, as abandoned").containsExactly("FAILED");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(RoketFixture.stored(roket))
                    .as("every record arrived").containsOnlyKeys(RoketFixture.ids(0, ROWS)));
            Set<String> twice = RoketFixture.stored(roket).entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(Map.Entry::getKey).collect(Collectors.toSet());
            assertThat(RoketFixture.uncertainRecordIds(ledger, DATE)).containsAll(twice);
        }
    }

    /** Like a killed process: the ledger connections go first, then Camel stops; nothing is cleaned up. */
    private static void crash(FlowledgerApp app) {
        app.db().close();
        app.close();
    }
}
