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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import routes.app.FlowledgerApp;
import routes.sandbox.Ports;
import routes.testkit.TestApp;

/**
 * The whole {@code upload} command (a child JVM, start included, 256 MB heap) against an ideal sender measured in the
 * same run: 8 threads posting pre-built 100-record bodies with the same HTTP client (Apache HttpClient 5, as
 * camel-http), no source, no ledger; both against one Roket stand-in answering in 20 ms. Then the re-run of the
 * delivered date (no count query), and {@code kamelet:roket-sink} fed by a file route (CSV) at 300,000 records.
 * {@code mvn -B -Pbench test -Dtest=RoketUploadBench} ({@code -Dbench.sizes=300000} for one size only).
 * Goals: upload >= 0.8 of ideal; re-run <= 15% of the first run; Kamelet >= 0.7 of ideal.
 */
@Tag("bench")
class RoketUploadBench {

    private static final String DATE = "2026-11-20";
    private static final int CONCURRENCY = 8;

    @Test
    void upload_command_and_kamelet_against_an_ideal_sender() throws Exception {
        List<String> report = new ArrayList<>();
        report.add(String.format("roket-upload bench: stand-in 20 ms, concurrency %d, batches of 100, heap 256 MB;"
                + " load average at start %s", CONCURRENCY, loadAverage()));
        try (StandIn roket = StandIn.start(20)) {
            for (String size : System.getProperty("bench.sizes", "300000,1000000").split(",")) {
                int rows = Integer.parseInt(size.trim());
                String source = source(rows);
                double ideal = ideal(roket, rows);
                System.out.printf("ideal sender, %,d rows: %.1f s%n", rows, ideal);
                double read = readSource(source);
                System.out.printf("plain JDBC read of the source, %,d rows: %.1f s%n", rows, read);
                Path ledger = Path.of("target", "roket-bench-ledger-" + rows + "-" + System.currentTimeMillis())
                        .toAbsolutePath();
                long before = roket.requests.get();
                double first = upload(roket, source, ledger, Boolean.getBoolean("bench.jfr") && rows == 300_000 ? "first-300k" : null);
                long sent = roket.requests.get() - before;
                System.out.printf("upload command, %,d rows: %.1f s, %,d requests%n", rows, first, sent);
                double rerun = upload(roket, source, ledger, Boolean.getBoolean("bench.jfr") && rows == 300_000 ? "rerun-300k" : null);
                System.out.printf("re-run, %,d rows: %.1f s%n", rows, rerun);
                // A batch is also cut when the reader is slower than flowledger.roket.batch-timeout: a few more requests.
                assertThat(sent).isBetween((long) rows / 100, (long) rows / 100 + rows / 1000);
                assertThat(roket.requests.get() - before).as("re-run sends nothing").isEqualTo(sent);
                report.add(String.format("  %,9d rows: ideal sender %.1f s (%,.0f records/s) | upload command %.1f s"
                                + " (%,.0f records/s) ratio %.2f (goal >= 0.80) | re-run %.1f s = %.0f%% of the first"
                                + " (goal <= 15%%) | plain JDBC read of the source alone %.1f s | load %s", rows, ideal,
                        rows / ideal, first, rows / first, ideal / first, rerun, 100 * rerun / first, read,
                        loadAverage()));
                if (rows == 300_000) {
                    double kamelet = kamelet(roket, rows);
                    report.add(String.format("  %,9d records through kamelet:roket-sink from a file route: %.1f s"
                            + " (%,.0f records/s) ratio %.2f of ideal (goal >= 0.70)", rows, kamelet, rows / kamelet,
                            ideal / kamelet));
                }
            }
        }
        report.add("  load average at end " + loadAverage());
        report.forEach(System.out::println);
        Files.write(Path.of("target", "roket-bench.txt"), report);
    }

    /** N threads posting pre-built 100-record bodies: the wire's speed with this client and stand-in. */
    private static double ideal(StandIn roket, int rows) throws Exception {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 100; i++) {
            body.append(i == 0 ? "" : ",").append("{\"sale_id\":\"s-").append(i).append("\",\"sale_date\":\"")
                    .append(DATE).append("\",\"store\":\"store-3\",\"amount\":123.5,\"note\":\"a sale of the"
                            + " benchmark day ").append(i).append("\"}");
        }
        String json = body.append(']').toString();
        int requests = rows / 100;
        AtomicLong next = new AtomicLong();
        try (CloseableHttpClient http = HttpClients.custom().disableAutomaticRetries().setConnectionManager(
                PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(20).setMaxConnTotal(20).build())
                .build()) {
            ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
            long t0 = System.nanoTime();
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < CONCURRENCY; t++) {
                all.add(pool.submit(() -> {
                    while (next.getAndIncrement() < requests) {
                        HttpPost post = new HttpPost(roket.url());
                        post.setHeader("Authorization", "Bearer bench-token");
                        post.setEntity(new StringEntity(json, ContentType.APPLICATION_JSON));
                        http.execute(post, r -> EntityUtils.toString(r.getEntity()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
            pool.shutdown();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** {@code flowledger upload --date D} in a child JVM (256 MB heap); seconds from launch to exit. */
    private static double upload(StandIn roket, String sourceUrl, Path ledger, String jfr) throws Exception {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("flowledger.db.url", "jdbc:h2:file:" + ledger.resolve("ledger"));
        keys.put("flowledger.db.user", "sa");
        keys.put("flowledger.roket.source.url", sourceUrl);
        keys.put("flowledger.roket.source.user", "sa");
        keys.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date");
        keys.put("flowledger.roket.id-column", "sale_id");
        keys.put("flowledger.roket.api.url", roket.url());
        keys.put("flowledger.roket.api.token", "bench-token");
        keys.put("flowledger.roket.concurrency", String.valueOf(CONCURRENCY));
        keys.put("flowledger.roket.batch-size", "100");
        keys.put("flowledger.roket.progress-interval", "PT30S");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path")));
        if (jfr != null) {
            cmd.add("-XX:StartFlightRecording=filename=target/roket-bench-" + jfr + ".jfr,settings=profile");
        }
        keys.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("routes.app.FlowledgerCli", "upload", "--date", DATE));
        Path log = Files.createTempFile(Path.of("target"), "roket-bench-upload-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOWLEDGER_"));
        long t0 = System.nanoTime();
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.MINUTES)).isTrue();
        double seconds = (System.nanoTime() - t0) / 1e9;
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("elapsed ([0-9.]+) s").matcher(out);
        System.out.printf("  (the run itself, from its summary: %s s; the rest is JVM and Camel start and stop)%n",
                m.find() ? m.group(1) : "?");
        return seconds;
    }

    /** The file route into kamelet:roket-sink, in this JVM: from the file's arrival to the run's end. */
    private static double kamelet(StandIn roket, int rows) throws Exception {
        Path dir = Path.of("target", "roket-bench-kamelet-" + System.currentTimeMillis()).toAbsolutePath();
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Files.writeString(routes.resolve("partner.yaml"), """
                - route:
                    id: partner-csv-to-roket
                    from:
                      uri: "file:%s?include=.*\\\\.csv&move=.done"
                      steps:
                        - unmarshal: {csv: {useMaps: true, lazyLoad: true}}
                        - split:
                            simple: "${body}"
                            streaming: true
                            steps:
                              - to: "kamelet:roket-sink?dataset=partner-feed&idField=ID"
                """.formatted(inbox));
        Path csv = dir.resolve("partner.csv");
        try (var w = Files.newBufferedWriter(csv)) {
            w.write("ID,STORE,AMOUNT,NOTE\n");
            for (int i = 1; i <= rows; i++) {
                w.write("p-" + i + ",store-" + (i % 7) + "," + (i % 900) + ".5,a partner record " + i + "\n");
            }
        }
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("flowledger.roket-upload.enabled", "true");
        keys.put("flowledger.db.url", "jdbc:h2:file:" + dir.resolve("ledger"));
        keys.put("flowledger.db.user", "sa");
        keys.put("flowledger.roket.source.url", "jdbc:h2:mem:unused");
        keys.put("flowledger.roket.source.query", "SELECT 1 AS id WHERE :#date IS NOT NULL");
        keys.put("flowledger.roket.api.url", roket.url());
        keys.put("flowledger.roket.api.token", "bench-token");
        keys.put("flowledger.roket.concurrency", String.valueOf(CONCURRENCY));
        keys.put("flowledger.roket.sink.idle-timeout", "PT1S");
        keys.put("flowledger.roket.batch-timeout", "200");
        keys.put("flowledger.routes.dir", routes.toString());
        try (FlowledgerApp app = TestApp.start(keys); jdk.jfr.Recording jfr = Boolean.getBoolean("bench.jfr")
                ? new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile")) : null) {
            RoketQueries ledger = RoketUploads.of(app.camelContext()).ledger();
            if (jfr != null) {
                jfr.setDestination(Path.of("target", "roket-bench-kamelet-300k.jfr"));
                jfr.start();
            }
            long t0 = System.currentTimeMillis();
            Files.move(csv, inbox.resolve("partner.csv"));
            while (true) {
                List<Map<String, Object>> runs = ledger.runs("partner-feed");
                if (!runs.isEmpty() && !"RUNNING".equals(runs.get(0).get("state"))) {
                    assertThat(((Number) runs.get(0).get("delivered")).longValue()).isEqualTo(rows);
                    break;
                }
                Thread.sleep(200);
            }
            // The run closes after its idle timeout; the records were done when its last batch was written down.
            long last = ledger.query("SELECT MAX(updated_at) AS t FROM roket_batch WHERE upload_date = ?",
                    "partner-feed").stream().map(r -> ((java.sql.Timestamp) r.get("t")).getTime()).findFirst()
                    .orElseThrow();
            if (jfr != null) {
                jfr.stop(); // written to its destination
            }
            return (last - t0) / 1e3;
        }
    }

    /** The source query read with plain JDBC (fetch size 1000, every column), nothing done with the rows. */
    private static double readSource(String url) throws Exception {
        long t0 = System.nanoTime();
        long n = 0;
        try (Connection c = DriverManager.getConnection(url, "sa", "");
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT * FROM sales WHERE sale_date = ?")) {
            ps.setFetchSize(1000);
            ps.setDate(1, java.sql.Date.valueOf(DATE));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                int cols = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= cols; i++) {
                        rs.getObject(i);
                    }
                    n++;
                }
            }
        }
        assertThat(n).isPositive();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String source(int rows) throws Exception {
        Path dir = Path.of("target", "roket-bench-source-" + rows).toAbsolutePath();
        String url = "jdbc:h2:file:" + dir.resolve("source") + ";DATABASE_TO_LOWER=TRUE";
        if (!Files.exists(dir.resolve("complete"))) {
            Files.createDirectories(dir);
            try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS sales");
                s.execute("CREATE TABLE sales (sale_id VARCHAR(20) PRIMARY KEY, sale_date DATE NOT NULL,"
                        + " store VARCHAR(20), amount DECIMAL(10,2), note VARCHAR(60))");
                s.execute("CREATE INDEX sales_date ON sales (sale_date)");
                s.execute("INSERT INTO sales SELECT 's-' || \"X\", DATE '" + DATE + "', 'store-' || MOD(\"X\", 7), "
                        + "MOD(\"X\", 900) + 0.5, 'a sale of the benchmark day ' || \"X\" FROM SYSTEM_RANGE(1, "
                        + rows + ")");
            }
            Files.writeString(dir.resolve("complete"), "ok");
        }
        return url;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
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
            // TCP_NODELAY on the stand-in's sockets: without it the JDK server's header and body writes meet the
            // client's delayed ACK, and every request takes ~40 ms more than the stand-in's delay (an ideal sender
            // of 25 s instead of ~8 s for 300,000 rows): it measured the stand-in's Nagle wait, not the pipeline.
            System.setProperty("sun.net.httpserver.nodelay", "true");
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
