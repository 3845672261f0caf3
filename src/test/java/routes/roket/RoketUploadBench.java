package routes.roket;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import routes.app.Config;
import routes.common.MetadataDb;
import routes.sandbox.Ports;

/**
 * Throughput of roket-upload.yaml with the ledger against the same route without it, in one run: one million source
 * rows (H2 file), a Roket stand-in answering every request in 20 ms, concurrency 8, batches of 100, 256 MB heap
 * ({@code mvn -B -o -Pbench test -Dtest=RoketUploadBench}). Then the re-run of the delivered date against the first
 * run. Goals: ledger/no-ledger throughput >= 0.9; re-run <= 10% of the first run's time.
 */
@Tag("bench")
class RoketUploadBench {

    private static final int ROWS = Integer.getInteger("bench.rows", 1_000_000);
    private static final int WARMUP_ROWS = 20_000;
    private static final String DATE = "2026-11-20";
    private static final String WARMUP_DATE = "2026-11-19";

    @Test
    void ledger_costs_under_10_percent_and_a_rerun_of_a_delivered_date_is_fast() throws Exception {
        // The source is kept between bench runs (same rows); each run gets a fresh ledger.
        Path sourceDir = Path.of("target", "roket-bench-source-" + ROWS).toAbsolutePath();
        Path dir = Path.of("target", "roket-bench-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(dir);
        String sourceUrl = "jdbc:h2:file:" + sourceDir.resolve("source") + ";DATABASE_TO_LOWER=TRUE";
        boolean haveSource = Files.exists(sourceDir.resolve("complete"));
        long t = System.nanoTime();
        if (!haveSource) {
            deleteTree(sourceDir);
            Files.createDirectories(sourceDir);
        }
        try (Connection c = DriverManager.getConnection(sourceUrl, "sa", ""); Statement s = c.createStatement()) {
          if (!haveSource) {
            s.execute("CREATE TABLE sales (sale_id VARCHAR(20) PRIMARY KEY, sale_date DATE NOT NULL, store VARCHAR(20), "
                    + "amount DECIMAL(10,2), note VARCHAR(60))");
            s.execute("CREATE INDEX sales_date ON sales (sale_date)");
            s.execute("INSERT INTO sales SELECT 'w-' || \"X\", DATE '" + WARMUP_DATE + "', 'store-' || MOD(\"X\", 7), "
                    + "MOD(\"X\", 900) + 0.5, 'warm-up row ' || \"X\" FROM SYSTEM_RANGE(1, " + WARMUP_ROWS + ")");
            s.execute("INSERT INTO sales SELECT 's-' || \"X\", DATE '" + DATE + "', 'store-' || MOD(\"X\", 7), "
                    + "MOD(\"X\", 900) + 0.5, 'a sale of the benchmark day ' || \"X\" FROM SYSTEM_RANGE(1, " + ROWS + ")");
          }
        }
        Files.writeString(sourceDir.resolve("complete"), "ok");
        System.out.printf("source: %,d rows written in %.1f s%n", ROWS + WARMUP_ROWS, (System.nanoTime() - t) / 1e9);

        try (StandIn roket = StandIn.start(20)) {
            Map<String, String> keys = new LinkedHashMap<>();
            keys.put("flowledger.roket-upload.enabled", "true");
            keys.put("flowledger.roket.source.url", sourceUrl);
            keys.put("flowledger.roket.source.user", "sa");
            keys.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date");
            keys.put("flowledger.roket.source.count-query", "SELECT COUNT(*) FROM sales WHERE sale_date = :#date");
            keys.put("flowledger.roket.id-column", "sale_id");
            keys.put("flowledger.roket.api.url", roket.url());
            keys.put("flowledger.roket.api.token", "bench-token");
            keys.put("flowledger.roket.concurrency", "8");
            keys.put("flowledger.roket.batch-size", "100");
            keys.put("flowledger.job", "true");
            Config config = Config.load(null, Map.of(), new Properties(), keys);
            RoketSettings settings = RoketSettings.from(config);

            // Baseline: the same route, no ledger (nothing read from or written to the metadata DB).
            RoketRun.Summary baseline;
            try (DefaultCamelContext ctx = context(config, settings, null)) {
                RoketUploads u = RoketUploads.of(ctx);
                u.upload(WARMUP_DATE, "bench", false);
                baseline = u.upload(DATE, "bench", false);
            }
            long baselineRequests = roket.requests.get();

            String ledgerUrl = "jdbc:h2:file:" + dir.resolve("ledger") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
                    + "DEFAULT_NULL_ORDERING=HIGH";
            RoketRun.Summary first;
            RoketRun.Summary rerun;
            try (MetadataDb db = MetadataDb.open(ledgerUrl, "sa", "", 10);
                 DefaultCamelContext ctx = context(config, settings, new RoketLedger(db.dataSource()))) {
                RoketUploads u = RoketUploads.of(ctx);
                u.upload(WARMUP_DATE, "bench", false);
                first = u.upload(DATE, "bench", false);
                rerun = u.upload(DATE, "bench", false);
            }
            long ledgerRequests = roket.requests.get() - baselineRequests;

            System.out.println(baseline.format());
            System.out.println(first.format());
            System.out.println(rerun.format());
            double ratio = first.throughput() / baseline.throughput();
            double rerunShare = (double) rerun.elapsed().toMillis() / first.elapsed().toMillis();
            System.out.printf("%nroket-upload bench: %,d rows, stand-in answering in 20 ms, concurrency 8, heap %d MB%n",
                    ROWS, Runtime.getRuntime().maxMemory() / (1024 * 1024));
            System.out.printf("  baseline (same route, no ledger): %,.0f records/s (%.1f s)%n", baseline.throughput(),
                    baseline.elapsed().toMillis() / 1000.0);
            System.out.printf("  with ledger:                      %,.0f records/s (%.1f s)  ratio %.2f (goal >= 0.90)%n",
                    first.throughput(), first.elapsed().toMillis() / 1000.0, ratio);
            System.out.printf("  re-run of the delivered date:     %.1f s = %.1f%% of the first run (goal <= 10%%), "
                    + "%,d sent%n", rerun.elapsed().toMillis() / 1000.0, rerunShare * 100, rerun.sent());

            assertThat(baseline.delivered()).isEqualTo(ROWS);
            assertThat(first.delivered()).isEqualTo(ROWS);
            assertThat(rerun.sent()).isZero();
            assertThat(rerun.skipped()).isEqualTo(ROWS);
            assertThat(ledgerRequests).isEqualTo((WARMUP_ROWS + ROWS) / 100);
        }
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (Files.exists(p)) {
            try (var walk = Files.walk(p)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static DefaultCamelContext context(Config config, RoketSettings settings, RoketLedger ledger)
            throws Exception {
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.getPropertiesComponent().setInitialProperties(config.asProperties());
        ctx.getRegistry().bind("roketUploads", new RoketUploads(settings, ledger, new RoketClient(settings)));
        ctx.getRegistry().bind("apiAuth", new routes.common.ApiAuth("", "")); // the API route stays stopped in a job
        ctx.getRegistry().bind("roketSenders", RoketUploadModule.senders(settings.concurrency()));
        PluginHelper.getRoutesLoader(ctx).loadRoutes(
                ResourceHelper.resolveMandatoryResource(ctx, "classpath:routes/roket-upload.yaml"));
        ctx.start();
        return ctx;
    }

    /** Roket stand-in: answers every POST 201 after {@code delayMs}, as many at once as asked. */
    static final class StandIn implements AutoCloseable {
        final HttpServer server;
        final ExecutorService pool = Executors.newFixedThreadPool(32);
        final AtomicLong requests = new AtomicLong();

        private StandIn(HttpServer server) {
            this.server = server;
        }

        static StandIn start(int delayMs) throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), Ports.free()), 64);
            StandIn s = new StandIn(server);
            server.createContext("/roket", ex -> {
                try (InputStream in = ex.getRequestBody()) {
                    in.readAllBytes();
                }
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.requests.incrementAndGet();
                byte[] body = "{\"stored\":true}".getBytes();
                ex.sendResponseHeaders(201, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            server.setExecutor(s.pool);
            server.start();
            return s;
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/roket/records";
        }

        @Override
        public void close() {
            server.stop(0);
            pool.shutdownNow();
        }
    }
}
