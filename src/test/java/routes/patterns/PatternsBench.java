package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * N entities from an HTTP source through the templates (http-rescan-source into a dataset, then jdbc-sink with
 * optimistic locking into a table), against the baseline: a plain JDBC batch insert of the same rows.
 * {@code mvn -B -o -Pbench test -Dtest=PatternsBench} (256 MB heap).
 */
@Tag("bench")
class PatternsBench {

    static final int N = Integer.getInteger("patterns.bench.n", 5000);

    @RegisterExtension
    static WireMockExtension wm = WireMockServers.create();

    @TempDir
    Path routesDir;

    @Test
    void sync_of_n_entities_through_the_templates_vs_a_plain_jdbc_insert() throws Exception {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < N; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":\"e").append(i).append("\",\"name\":\"entity ").append(i)
                    .append("\",\"qty\":").append(i % 97).append('}');
        }
        json.append(']');
        wm.stubFor(get(urlPathEqualTo("/items")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody(json.toString())));

        try (PatternsHarness h = new PatternsHarness(TestDatabase.H2, routesDir)) {
            h.routes("bench.yaml", PatternsHarness.template("http-rescan-source", "bench-in", "dataset", "bench",
                    "url", WireMockServers.url(wm) + "/items", "period", "3600000", "delay", "3600000")
                    + PatternsHarness.template("jdbc-sink", "bench-out", "source", "bench", "batchSize", String.valueOf(N),
                            "selectSql", "SELECT id, name, qty FROM bench_items WHERE id = :#id",
                            "insertSql", "INSERT INTO bench_items (id, name, qty) VALUES (:#id, :#name, :#qty)",
                            "updateSql", "UPDATE bench_items SET name = :#name, qty = :#qty WHERE id = :#id",
                            "period", "3600000", "delay", "3600000")).start();
            h.execute("CREATE TABLE bench_items (id VARCHAR(20) PRIMARY KEY, name VARCHAR(100), qty INTEGER)");
            h.execute("CREATE TABLE bench_plain (id VARCHAR(20) PRIMARY KEY, name VARCHAR(100), qty INTEGER)");

            long t0 = System.nanoTime();
            try (Connection c = DriverManager.getConnection(h.dbUrl, "sa", "");
                 PreparedStatement ps = c.prepareStatement("INSERT INTO bench_plain (id, name, qty) VALUES (?, ?, ?)")) {
                c.setAutoCommit(false);
                for (int i = 0; i < N; i++) {
                    ps.setString(1, "e" + i);
                    ps.setString(2, "entity " + i);
                    ps.setInt(3, i % 97);
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            }
            double baseline = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            h.run("bench-in");
            double collect = (System.nanoTime() - t1) / 1e9;
            long t2 = System.nanoTime();
            h.run("bench-out");
            double share = (System.nanoTime() - t2) / 1e9;
            long t3 = System.nanoTime();
            h.run("bench-in");
            double rescanUnchanged = (System.nanoTime() - t3) / 1e9;

            assertThat(h.query("SELECT COUNT(*) AS n FROM bench_items").get(0).get("n")).isEqualTo((long) N);
            System.out.printf(Locale.ROOT, "%nPatternsBench (%d entities, H2, 256 MB heap)%n"
                            + "  baseline plain JDBC batch insert:          %6.2f s  (%,.0f rows/s)%n"
                            + "  http-rescan-source -> dataset (collect):   %6.2f s  (%,.0f entities/s)%n"
                            + "  jdbc-sink with optimistic locking (share): %6.2f s  (%,.0f entities/s)%n"
                            + "  rescan again, nothing changed:             %6.2f s%n",
                    N, baseline, N / baseline, collect, N / collect, share, N / share, rescanUnchanged);
        }
    }
}
