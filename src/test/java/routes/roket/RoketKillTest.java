package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * The real thing: {@code flowledger upload} in a child JVM on a PostgreSQL ledger, killed with SIGKILL while
 * batches are in flight; a new instance re-runs the date and every record arrives, twice only if reported uncertain.
 */
@ExtendWith(PostgresServer.class)
class RoketKillTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = RoketFixture.DATE;

    @Test
    void upload_killed_mid_run_then_rerun_delivers_everything_and_only_uncertain_records_twice() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.POSTGRES).rows(DATE, 0, 300);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201).withFixedDelay(250)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.batch-size", "10");
        settings.put("flowledger.roket.concurrency", "2");
        settings.put("flowledger.roket.request-timeout", "5000");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("routes.app.FlowledgerCli", "upload", "--date", DATE));
        Path log = Files.createTempFile("roket-kill-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOWLEDGER_"));
        Process child = pb.start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> roket.getAllServeEvents().size() >= 12 || !child.isAlive());
            assertThat(child.isAlive()).as("still uploading when killed:\n" + Files.readString(log)).isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(Files.readString(log)).contains("roket-upload " + DATE + ": run ");

        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(app);
            AtomicReference<RoketRun.Summary> rerun = new AtomicReference<>();
            // The killed run's claim goes stale after flowledger.roket.lock-timeout (1 s here).
            await().atMost(Duration.ofSeconds(30)).ignoreException(RoketLedger.DateBusyException.class)
                    .until(() -> {
                        rerun.set(uploads.upload(DATE, "test", false));
                        return true;
                    });
            RoketRun.Summary s = rerun.get();
            assertThat(s.succeeded()).as(s.format()).isTrue();
            assertThat(s.skipped()).as("delivered before the kill: not sent again").isPositive();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(RoketFixture.stored(roket))
                    .containsOnlyKeys(RoketFixture.ids(0, 300)));
            Map<String, Integer> stored = RoketFixture.stored(roket);
            Set<String> twice = stored.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            Set<String> uncertain = RoketFixture.uncertainRecordIds(uploads.ledger(), DATE);
            assertThat(stored.values()).allMatch(n -> n <= 2);
            assertThat(uncertain).as("arrived twice => reported uncertain").containsAll(twice);
            assertThat(s.possibleDuplicates()).isEqualTo(uncertain.size());
            assertThat(uploads.ledger().runs(DATE)).extracting(r -> r.get("state"))
                    .as("the killed run never finished; the re-run did").containsExactly("RUNNING", "SUCCEEDED");
        }
    }
}
