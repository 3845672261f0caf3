package routes.patterns;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * A flowledger service with the patterns pipeline on a given metadata DB, whose routes come only from YAML files
 * dropped into its routes dir (as a user would), plus helpers to run a pipe once and read the ledger.
 */
final class PatternsHarness implements AutoCloseable {

    static final String API_PASSWORD = "patterns-secret-1";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final TestDatabase kind;
    final String dbUrl;
    final Path routesDir;
    FlowledgerApp app;

    PatternsHarness(TestDatabase kind, Path routesDir) {
        this.kind = kind;
        this.dbUrl = kind.newUrl();
        this.routesDir = routesDir;
    }

    /** Drops a routes file into the routes dir (before {@link #start}). */
    PatternsHarness routes(String name, String yaml) throws Exception {
        Files.writeString(routesDir.resolve(name), yaml, StandardCharsets.UTF_8);
        return this;
    }

    PatternsHarness start(Map<String, String> extra) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("flowledger.patterns.enabled", "true");
        settings.put("flowledger.db.url", dbUrl);
        settings.put("flowledger.db.user", kind.user());
        settings.put("flowledger.db.password", kind.password());
        settings.put("flowledger.db.pool-size", "4");
        settings.put("flowledger.routes.dir", routesDir.toString());
        settings.put("flowledger.api.password", API_PASSWORD);
        settings.putAll(extra);
        app = TestApp.start(settings);
        return this;
    }

    PatternsHarness start() throws Exception {
        return start(Map.of());
    }

    /** Stops the service (the DB stays) — the next {@link #start} is a restart on the same ledger. */
    void stop() {
        if (app != null) {
            app.close();
            app = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    long runs(String pipe) throws SQLException {
        List<Map<String, Object>> r = query("SELECT runs FROM patterns_pipes WHERE pipe = ?", pipe);
        return r.isEmpty() ? 0 : ((Number) r.get(0).get("runs")).longValue();
    }

    /** Waits for the pipe's first run (its timer fires shortly after start) to finish. */
    void awaitFirstRun(String pipe) {
        awaitRuns(pipe, 1);
    }

    private void awaitRuns(String pipe, long n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                runs(pipe) >= n && app.camelContext().getInflightRepository().size() == 0);
    }

    /** Runs the pipe once more (restarts its timer) and waits until the run has finished. */
    void run(String pipe) throws Exception {
        app.camelContext().getRegistry().lookupByNameAndType("patternsDatasets", Datasets.class)
                .runPipe(pipe, app.camelContext());
    }

    Map<String, Object> pipe(String pipe) throws SQLException {
        List<Map<String, Object>> r = query("SELECT * FROM patterns_pipes WHERE pipe = ?", pipe);
        return r.isEmpty() ? null : r.get(0);
    }

    /** Live entities of a dataset, id -> entity fields. */
    Map<String, Map<String, Object>> live(String dataset) throws SQLException {
        Map<String, Map<String, Object>> out = new java.util.TreeMap<>();
        for (Map<String, Object> r : query("SELECT entity_id, entity FROM patterns_entities WHERE dataset = ? AND deleted = FALSE", dataset)) {
            out.put((String) r.get("entity_id"), Datasets.fromJson((String) r.get("entity")));
        }
        return out;
    }

    List<String> deletedIds(String dataset) throws SQLException {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> r : query("SELECT entity_id FROM patterns_entities WHERE dataset = ? AND deleted = TRUE ORDER BY entity_id", dataset)) {
            out.add((String) r.get("entity_id"));
        }
        return out;
    }

    List<Map<String, Object>> query(String sql, Object... args) throws SQLException {
        try (Connection c = DriverManager.getConnection(dbUrl, kind.user(), kind.password())) {
            return Jdbc.query(c, sql, args);
        }
    }

    void execute(String sql, Object... args) throws SQLException {
        try (Connection c = DriverManager.getConnection(dbUrl, kind.user(), kind.password())) {
            Jdbc.update(c, sql, args);
        }
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.noBody());
        if (password != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A templatedRoute block: pipe name = route id; {@code params} are name/value pairs. */
    static String template(String templateId, String pipe, String... params) {
        StringBuilder y = new StringBuilder();
        y.append("- templatedRoute:\n    routeTemplateRef: ").append(templateId).append("\n    routeId: ").append(pipe)
                .append("\n    parameters:\n      - name: pipe\n        value: \"").append(pipe).append("\"\n");
        for (int i = 0; i < params.length; i += 2) {
            y.append("      - name: ").append(params[i]).append("\n        value: \"")
                    .append(params[i + 1].replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return y.toString();
    }
}
