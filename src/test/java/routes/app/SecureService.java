package routes.app;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import routes.sandbox.S3Sandbox;
import routes.testkit.AzuriteServer;
import routes.testkit.S3Server;
import routes.testkit.TestApp;

/**
 * The service with every pipeline enabled, on the real S3 (S3Proxy) and Azure (Azurite) servers of the test kit,
 * configured with a recognisable value for every secret, so a test can look for them in every answer. The test
 * class needs {@code @ExtendWith({S3Server.class, AzuriteServer.class})}.
 */
final class SecureService {

    static final String API_PASSWORD = "api-pw-Q7x9-secret";
    static final String MANAGEMENT_PASSWORD = "mgmt-pw-K3v8-secret";
    static final String DB_PASSWORD = "db-pw-R5t2-secret";
    static final String SOURCE_PASSWORD = "src-pw-L2n4-secret";
    static final String ROKET_TOKEN = "roket-token-W4m6-secret";
    static final String DMAP_KEY = "dmap-key-P8s1-secret";
    static final String SLACK_WEBHOOK = "http://127.0.0.1:9/slack-hook-J6d3-secret";
    static final String PIPE = "abuse-things-in";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SecureService() {
    }

    /** Every configured secret, by the key that holds it. */
    static Map<String, String> secrets() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.api.password", API_PASSWORD);
        m.put("flowledger.management.password", MANAGEMENT_PASSWORD);
        m.put("flowledger.db.password", DB_PASSWORD);
        m.put("flowledger.roket.source.password", SOURCE_PASSWORD);
        m.put("flowledger.roket.api.token", ROKET_TOKEN);
        m.put("flowledger.cubic.dmap.api-key", DMAP_KEY);
        m.put("flowledger.slack.webhook-url", SLACK_WEBHOOK);
        m.put("flowledger.s3.secret-key", S3Sandbox.SECRET_KEY);
        m.put("flowledger.azure.connection-string", AzuriteServer.KEY);
        return m;
    }

    static FlowledgerApp start(Path routesDir) throws Exception {
        Files.writeString(routesDir.resolve("abuse-pipe.yaml"), """
                - templatedRoute:
                    routeTemplateRef: http-rescan-source
                    routeId: %s
                    parameters:
                      - {name: pipe, value: "%s"}
                      - {name: dataset, value: "abuse-things"}
                      - {name: url, value: "http://127.0.0.1:9/things"}
                      - {name: period, value: "3600000"}
                      - {name: delay, value: "3600000"}
                """.formatted(PIPE, PIPE));
        for (String bucket : List.of("abuse-incoming", "abuse-springboard", "abuse-archive", "abuse-error")) {
            S3Server.client().createBucket(b -> b.bucket(bucket));
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.db.url", routes.testkit.TestDatabase.H2.newUrl());
        m.put("flowledger.db.password", DB_PASSWORD);
        m.put("flowledger.api.password", API_PASSWORD);
        m.put("flowledger.management.password", MANAGEMENT_PASSWORD);
        m.put("flowledger.routes.dir", routesDir.toString());
        m.put("flowledger.roket-upload.enabled", "true");
        m.put("flowledger.status.enabled", "true");
        m.put("flowledger.cubic-ingestion.enabled", "true");
        m.put("flowledger.replay.enabled", "true");
        m.put("flowledger.patterns.enabled", "true");
        m.put("flowledger.roket.source.url", routes.testkit.TestDatabase.H2.newUrl());
        m.put("flowledger.roket.source.user", "sa");
        m.put("flowledger.roket.source.password", SOURCE_PASSWORD);
        m.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date");
        m.put("flowledger.roket.api.url", "http://127.0.0.1:9/api/records");
        m.put("flowledger.roket.api.token", ROKET_TOKEN);
        m.put("flowledger.s3.endpoint", S3Server.endpoint());
        m.put("flowledger.s3.access-key", S3Server.accessKey());
        m.put("flowledger.s3.secret-key", S3Server.secretKey());
        m.put("flowledger.cubic.incoming-bucket", "abuse-incoming");
        m.put("flowledger.cubic.springboard-bucket", "abuse-springboard");
        m.put("flowledger.cubic.archive-bucket", "abuse-archive");
        m.put("flowledger.cubic.error-bucket", "abuse-error");
        m.put("flowledger.cubic.tables", "abuse_table=abuse/table/");
        m.put("flowledger.cubic.poll-interval", "PT1H");
        m.put("flowledger.cubic.dmap.url", "http://127.0.0.1:9/dmap");
        m.put("flowledger.cubic.dmap.api-key", DMAP_KEY);
        m.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        m.put("flowledger.slack.webhook-url", SLACK_WEBHOOK);
        m.put("flowledger.kafka.brokers", "127.0.0.1:9");
        return TestApp.start(m);
    }

    /** Row counts of every table of the metadata DB (what a refused request must leave unchanged). */
    static Map<String, Long> rowCounts(FlowledgerApp app) throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement()) {
            List<String> tables = new java.util.ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = 'public' AND table_type IN ('BASE TABLE', 'TABLE')")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM \"" + t + "\"")) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        }
        return counts;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static HttpResponse<String> send(String method, String url, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
