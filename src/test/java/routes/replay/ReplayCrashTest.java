package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static routes.replay.ReplayTestSupport.consumeAll;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.names;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;
import static routes.replay.ReplayTestSupport.rows;

import com.azure.storage.blob.BlobContainerClient;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.app.FlowledgerApp;
import routes.sandbox.Ports;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.WireMockServers;

/**
 * A replay process killed (SIGKILL) in the middle of a day, on a PostgreSQL ledger: {@code --resume RUN_ID}, or the
 * service at start-up, finishes the day from the ledger, with every record in the topic exactly once.
 */
@ExtendWith({AzuriteServer.class, KafkaServer.class, PostgresServer.class})
class ReplayCrashTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    static final int BIG_DAY = 120_000;

    @TempDir
    Path tmp;

    BlobContainerClient container;
    String topic;
    String dbUrl;
    Path config;
    Process child;

    @BeforeEach
    void setUp() throws Exception {
        container = ReplayTestSupport.newContainer();
        topic = ReplayTestSupport.newTopic();
        dbUrl = PostgresServer.newDatabase();
        config = ReplayTestSupport.properties(tmp, settings());
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
    }

    @AfterEach
    void killChild() {
        if (child != null) {
            child.destroyForcibly();
        }
    }

    Map<String, String> settings() {
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.db.user", "postgres");
        s.put("flowledger.db.password", "postgres");
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.lease", "PT2S");
        s.put("flowledger.replay.progress-interval", "PT0.1S");
        s.put("flowledger.replay.recover-interval", "500");
        return s;
    }

    int arrange() {
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, BIG_DAY / 2), true));
        put(container, "raw/2019-12-01-01.json.gz", ndjson(lines("2019-12-01", 1, BIG_DAY / 2), true));
        put(container, "raw/2019-12-02-00.json", ndjson(lines("2019-12-02", 0, 1000), false));
        for (String day : List.of("2019-12-01", "2019-12-02")) {
            put(container, "unique/" + day + "-a.json", ndjson(lines(day, 7, 4), false));
            put(container, "channel/" + day + "-a.json", ndjson(lines(day, 8, 4), false));
        }
        return BIG_DAY + 1000;
    }

    /** Starts the replay command in a child JVM and kills it (SIGKILL) once the first day is half replayed. */
    String startAndKillMidDay() throws Exception {
        String cp = System.getProperty("java.class.path");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", cp, "routes.app.FlowledgerCli", "--config", config.toString(), "replay",
                "--start-date", "2019-12-01", "--end-date", "2019-12-02", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw"));
        child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(new File(tmp.toFile(), "child.log")).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            List<Map<String, Object>> d = rows(dbUrl, "postgres", "postgres",
                    "SELECT status, records FROM replay_days WHERE replay_day = '2019-12-01'");
            return !d.isEmpty() && "REPLAY".equals(d.get(0).get("status"))
                    && ((Number) d.get(0).get("records")).longValue() >= 20_000;
        });
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        List<Map<String, Object>> runs = rows(dbUrl, "postgres", "postgres", "SELECT id, status FROM replay_runs");
        assertThat(runs).singleElement().satisfies(r -> assertThat(r.get("status")).isEqualTo("RUNNING"));
        long inLog = ReplayTestSupport.consumeUncommitted(KafkaServer.bootstrapServers(), topic).size();
        assertThat(inLog).as("the kill came mid-day").isBetween(1L, (long) BIG_DAY - 1);
        assertThat(names(container, "unique/2019-12-01")).as("deleted, with a backup").isEmpty();
        return (String) runs.get(0).get("id");
    }

    void assertFinishedExactlyOnce(int expected) throws Exception {
        List<String> records = consumeAll(KafkaServer.bootstrapServers(), topic);
        assertThat(records).hasSize(expected);
        assertThat(new HashSet<>(records)).hasSize(expected);
        assertThat(rows(dbUrl, "postgres", "postgres", "SELECT status FROM replay_days ORDER BY replay_day"))
                .extracting(r -> r.get("status")).containsExactly("SUCCEEDED", "SUCCEEDED");
        assertThat(names(container, "unique/")).isEmpty();
        assertThat(names(container, "channel/")).isEmpty();
        assertThat(names(container, "replay-backups/")).isEmpty();
    }

    @Test
    void killed_mid_day_then_resume_finishes_the_run_with_every_record_exactly_once() throws Exception {
        int expected = arrange();
        String runId = startAndKillMidDay();

        int exit = ReplayTestSupport.replay(config, "--resume", runId);

        assertThat(exit).isZero();
        assertFinishedExactlyOnce(expected);
        assertThat(rows(dbUrl, "postgres", "postgres", "SELECT status FROM replay_runs"))
                .extracting(r -> r.get("status")).containsExactly("SUCCEEDED");
    }

    @Test
    void killed_mid_day_then_the_service_finishes_the_abandoned_run_at_start_up() throws Exception {
        int expected = arrange();
        String runId = startAndKillMidDay();

        Map<String, String> service = new HashMap<>(settings());
        service.put("flowledger.replay.enabled", "true");
        service.put("flowledger.http.port", String.valueOf(Ports.free()));
        service.put("flowledger.management.port", String.valueOf(Ports.free()));
        try (FlowledgerApp app = TestApp.start(service)) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> "SUCCEEDED".equals(
                    rows(dbUrl, "postgres", "postgres", "SELECT status FROM replay_runs WHERE id = '" + runId + "'")
                            .get(0).get("status")));
        }
        assertFinishedExactlyOnce(expected);
    }
}
