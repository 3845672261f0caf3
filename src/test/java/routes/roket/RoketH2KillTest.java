package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.common.MetadataDb;
import routes.testkit.CommandProcess;
import routes.testkit.WireMockServers;

/**
 * The embedded ledger keeps its promise across SIGKILL: {@code upload} in a child JVM on a plain H2 file URL (as a
 * user writes it), killed while batches fly, then run again right away. Every record Roket holds more than once was
 * reported as a possible duplicate, none is missing, and the re-run is not refused for the dead run's claim.
 */
class RoketH2KillTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = "2026-11-20";
    private static final int ROWS = 1500;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void upload_killed_on_an_h2_file_ledger_loses_no_commit_and_the_rerun_starts_at_once() throws Exception {
        String sourceUrl = "jdbc:h2:file:" + dir.resolve("source") + ";DATABASE_TO_LOWER=TRUE";
        try (Connection c = DriverManager.getConnection(sourceUrl, "sa", ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sales (sale_id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL, amount INT)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sales VALUES (?, ?, ?)")) {
                for (int i = 0; i < ROWS; i++) {
                    ps.setString(1, id(i));
                    ps.setDate(2, java.sql.Date.valueOf(DATE));
                    ps.setInt(3, i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201).withFixedDelay(20)));
        String ledgerUrl = "jdbc:h2:file:" + dir.resolve("ledger"); // no settings: flowledger adds what it needs
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("flowledger.roket-upload.enabled", "true");
        settings.put("flowledger.db.url", ledgerUrl);
        settings.put("flowledger.roket.source.url", sourceUrl);
        settings.put("flowledger.roket.source.user", "sa");
        settings.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY sale_id");
        settings.put("flowledger.roket.id-column", "sale_id");
        settings.put("flowledger.roket.api.url", WireMockServers.url(roket) + "/api/records");
        settings.put("flowledger.roket.api.token", "test-roket-token");
        settings.put("flowledger.roket.batch-size", "10");
        settings.put("flowledger.roket.concurrency", "4");
        settings.put("flowledger.roket.request-timeout", "5000");
        // Long on purpose: the re-run must not wait for the killed run's heartbeat to go stale.
        settings.put("flowledger.roket.lock-timeout", "PT10M");

        try (CommandProcess first = CommandProcess.start(dir.resolve("run1"), settings, "upload", "--date", DATE)) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(10))
                    .until(() -> roket.getAllServeEvents().size() >= 60 || !first.process().isAlive());
            assertThat(first.process().isAlive()).as("still uploading when killed:\n" + first.describe()).isTrue();
            first.kill();
        }

        long started = System.nanoTime();
        CommandProcess rerun = CommandProcess.run(dir.resolve("run2"), settings, "upload", "--date", DATE);
        System.out.printf("re-run took %d ms:%n%s%n", (System.nanoTime() - started) / 1_000_000, rerun.describe());
        assertThat(rerun.exitCode()).as(rerun.describe()).isZero();
        assertThat(rerun.stderr()).as("the dead run's claim is taken over at once, and says so")
                .contains("taking over the claim of run").contains("no longer exists")
                .doesNotContain("already running");

        Map<String, Integer> stored = stored();
        assertThat(stored.keySet()).as("no record lost").containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, ROWS).mapToObj(RoketH2KillTest::id).toList());
        Set<String> twice = stored.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
        try (MetadataDb db = MetadataDb.open(ledgerUrl, "sa", "", 2)) {
            Set<String> reported = RoketFixture.uncertainRecordIds(new RoketQueries(db.dataSource()), DATE);
            assertThat(reported).as("every record Roket holds twice was reported as a possible duplicate")
                    .containsAll(twice);
        }
        assertThat(rerun.stdout()).contains("possible duplicates");
    }

    private static String id(int i) {
        return String.format("s-%05d", i);
    }

    /** Ids in every request Roket answered 2xx (what it stored), with how often each arrived. */
    private static Map<String, Integer> stored() throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (ServeEvent e : roket.getAllServeEvents()) {
            if (e.getResponse().getStatus() / 100 == 2) {
                for (JsonNode r : JSON.readTree(e.getRequest().getBodyAsString())) {
                    out.merge(r.get(r.has("SALE_ID") ? "SALE_ID" : "sale_id").asText(), 1, Integer::sum);
                }
            }
        }
        return out;
    }
}
