package routes.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import routes.it.ServicePair.Instance;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.S3Server;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the two instances of {@link ReplicasIT} share: the metadata DB and a Roket source in PostgreSQL, replay
 * backups in Azurite, topics in Kafka; and the questions the test asks of them (what Roket received, what a
 * read_committed consumer reads, what the ledger holds).
 */
final class ReplicaFixture {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PG_USER = "postgres";

    final String ledgerUrl;
    final String sourceUrl;
    final String cubicPrefix = "replicas-" + UUID.randomUUID().toString().substring(0, 6);

    ReplicaFixture(String ledgerUrl, String sourceUrl) throws Exception {
        this.ledgerUrl = ledgerUrl;
        this.sourceUrl = sourceUrl;
        try (Connection c = DriverManager.getConnection(sourceUrl, PG_USER, PG_USER); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sales (sale_id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL, amount NUMERIC(12,2))");
        }
    }

    /** The configuration both instances run with, as environment variables (the way a deployment sets it). */
    Map<String, String> env(String wiremock) {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("FLOWLEDGER_DB_URL", ledgerUrl);
        e.put("FLOWLEDGER_DB_USER", PG_USER);
        e.put("FLOWLEDGER_DB_PASSWORD", PG_USER);
        e.put("FLOWLEDGER_KAFKA_BROKERS", KafkaServer.bootstrapServers());
        e.put("FLOWLEDGER_ROKET_UPLOAD_ENABLED", "true");
        e.put("FLOWLEDGER_ROKET_SOURCE_URL", sourceUrl);
        e.put("FLOWLEDGER_ROKET_SOURCE_USER", PG_USER);
        e.put("FLOWLEDGER_ROKET_SOURCE_PASSWORD", PG_USER);
        e.put("FLOWLEDGER_ROKET_SOURCE_QUERY", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY sale_id");
        e.put("FLOWLEDGER_ROKET_ID_COLUMN", "sale_id");
        e.put("FLOWLEDGER_ROKET_API_URL", wiremock + "/api/records");
        e.put("FLOWLEDGER_ROKET_API_TOKEN", "replicas-token");
        e.put("FLOWLEDGER_ROKET_CONCURRENCY", "2");
        e.put("FLOWLEDGER_ROKET_REQUEST_TIMEOUT", "20000");
        e.put("FLOWLEDGER_ROKET_LOCK_TIMEOUT", "PT15S");
        // Every 5 s instead of daily: many fires of both instances for the same date within one test.
        e.put("FLOWLEDGER_ROKET_SCHEDULE", "0/5 * * * * ?");
        e.put("FLOWLEDGER_STATUS_TRANSPORT", "kafka");
        e.put("FLOWLEDGER_STATUS_CHECK_INTERVAL", "2000");
        e.put("FLOWLEDGER_REPLAY_ENABLED", "true");
        e.put("FLOWLEDGER_AZURE_CONNECTION_STRING", AzuriteServer.connectionString());
        e.put("FLOWLEDGER_DRUID_URL", wiremock);
        e.put("FLOWLEDGER_SLACK_WEBHOOK_URL", wiremock + "/slack/hook");
        // Short, so that a killed holder's run is found quickly (a dead pid on this host is taken over at once anyway).
        e.put("FLOWLEDGER_REPLAY_LEASE", "PT5S");
        e.put("FLOWLEDGER_REPLAY_RECOVER_INTERVAL", "1000");
        e.put("FLOWLEDGER_REPLAY_PROGRESS_INTERVAL", "PT0.2S");
        return e;
    }

    /** {@code count} rows of the date, ids {@code prefix}00000 on. */
    void sourceRows(String date, String prefix, int count) throws Exception {
        try (Connection c = DriverManager.getConnection(sourceUrl, PG_USER, PG_USER); PreparedStatement ps =
                c.prepareStatement("INSERT INTO sales (sale_id, sale_date, amount) VALUES (?, ?, ?)")) {
            for (int i = 0; i < count; i++) {
                ps.setString(1, prefix + String.format("%05d", i));
                ps.setDate(2, java.sql.Date.valueOf(date));
                ps.setBigDecimal(3, new java.math.BigDecimal(i + ".25"));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The date's runs in the ledger (run_id, state, trigger_name), oldest first. */
    List<Map<String, Object>> runs(String date) throws Exception {
        return rows("SELECT run_id, state, trigger_name FROM roket_run WHERE upload_date = ? ORDER BY started_at", date);
    }

    /** Ids of the date's batches the ledger calls UNCERTAIN: the records that may have arrived twice. */
    java.util.Set<String> uncertainIds(String date) throws Exception {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Map<String, Object> b : rows("SELECT record_ids FROM roket_batch WHERE upload_date = ? AND state = 'UNCERTAIN'", date)) {
            JSON.readTree((String) b.get("record_ids")).forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    List<String> replayRuns() throws Exception {
        return rows("SELECT id FROM replay_runs ORDER BY created_at").stream().map(r -> (String) r.get("id")).toList();
    }

    /** Records the run's day has produced so far (its progress in the ledger). */
    long replayedSoFar(String runId) throws Exception {
        List<Map<String, Object>> d = rows("SELECT status, records FROM replay_days WHERE run_id = ?", runId);
        return !d.isEmpty() && "REPLAY".equals(d.get(0).get("status")) ? ((Number) d.get(0).get("records")).longValue() : 0;
    }

    /** The instance whose process holds the replay run's claim (owner {@code pid@host/tag}). */
    Instance holderOf(String runId, List<Instance> instances) throws Exception {
        String owner = (String) rows("SELECT owner FROM replay_runs WHERE id = ?", runId).get(0).get("owner");
        return instances.stream().filter(i -> owner != null && owner.startsWith(i.pid() + "@")).findFirst()
                .orElseThrow(() -> new AssertionError("no instance holds " + runId + " (owner " + owner + ")"));
    }

    /** cubic-ingestion on both instances: two DMAP tables, buckets of this test's own, quick polling. */
    Map<String, String> cubic() {
        Map<String, String> e = new LinkedHashMap<>();
        S3Client s3 = S3Server.client();
        for (String b : List.of("incoming", "springboard", "archive", "error")) {
            s3.createBucket(r -> r.bucket(cubicPrefix + "-" + b));
            e.put("FLOWLEDGER_CUBIC_" + b.toUpperCase() + "_BUCKET", cubicPrefix + "-" + b);
        }
        e.put("FLOWLEDGER_CUBIC_INGESTION_ENABLED", "true");
        e.put("FLOWLEDGER_S3_ENDPOINT", S3Server.endpoint());
        e.put("FLOWLEDGER_S3_ACCESS_KEY", S3Server.accessKey());
        e.put("FLOWLEDGER_S3_SECRET_KEY", S3Server.secretKey());
        e.put("FLOWLEDGER_CUBIC_TABLES", "cubic__dmap__r0=cubic/dmap/r0/,cubic__dmap__r1=cubic/dmap/r1/");
        e.put("FLOWLEDGER_CUBIC_POLL_INTERVAL", "500");
        e.put("FLOWLEDGER_CUBIC_WORK_INTERVAL", "300");
        e.put("FLOWLEDGER_CUBIC_BATCH_SIZE", "4");
        return e;
    }

    /** {@code n} daily DMAP files, spread over the two tables, landing in the incoming bucket. */
    void landCubicLoads(int n) {
        S3Client s3 = S3Server.client();
        for (int i = 0; i < n; i++) {
            String key = "cubic/dmap/r" + (i % 2) + "/202203" + String.format("%02d", i / 2 + 1) + ".csv";
            s3.putObject(r -> r.bucket(cubicPrefix + "-incoming").key(key), RequestBody.fromString("id,value\n" + i + ",v\n"));
        }
    }

    List<String> springboardObjects() {
        return S3Server.client().listObjectsV2(r -> r.bucket(cubicPrefix + "-springboard")).contents().stream()
                .map(S3Object::key).filter(k -> !k.endsWith("/")).toList();
    }

    long count(String sql) throws Exception {
        return ((Number) rows(sql).get(0).values().iterator().next()).longValue();
    }

    /** A JSON array of {@code n} people, p00..p(n-1). */
    static String people(int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(String.format("{\"id\":\"p%02d\",\"name\":\"Person %d\"}", i, i));
        }
        return sb.append("]").toString();
    }

    /** Two pipes dropped into a routes dir both instances read: collect people, post each new one to a CRM. */
    static Map<String, String> patterns(Path routesDir, String wiremock) throws Exception {
        Files.writeString(routesDir.resolve("people.yaml"), """
                - templatedRoute:
                    routeTemplateRef: http-rescan-source
                    routeId: people-in
                    parameters:
                      - {name: pipe, value: people-in}
                      - {name: dataset, value: people}
                      - {name: url, value: "%1$s/people"}
                      - {name: maxChangeRatio, value: "10"}
                      - {name: period, value: "1000"}
                      - {name: delay, value: "500"}
                - templatedRoute:
                    routeTemplateRef: http-capture-response-action
                    routeId: people-insert
                    parameters:
                      - {name: pipe, value: people-insert}
                      - {name: source, value: people}
                      - {name: url, value: "%1$s/crm/contacts"}
                      - {name: responseDataset, value: people-crm-ids}
                      - {name: batchSize, value: "10"}
                      - {name: period, value: "1000"}
                      - {name: delay, value: "1000"}
                """.formatted(wiremock));
        return Map.of("FLOWLEDGER_PATTERNS_ENABLED", "true", "FLOWLEDGER_ROUTES_DIR", routesDir.toString());
    }

    /** Person ids in the requests the CRM answered, with how often each arrived. */
    Map<String, Integer> postedToCrm(WireMockServer crm) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (ServeEvent e : crm.getAllServeEvents()) {
            if (e.getRequest().getUrl().equals("/crm/contacts")) {
                out.merge(JSON.readTree(e.getRequest().getBodyAsString()).get("name").asText(), 1, Integer::sum);
            }
        }
        return out;
    }

    long pipeRuns(String pipe) throws Exception {
        List<Map<String, Object>> r = rows("SELECT runs FROM patterns_pipes WHERE pipe = ?", pipe);
        return r.isEmpty() ? 0 : ((Number) r.get(0).get("runs")).longValue();
    }

    List<String> sendStates(String pipe) throws Exception {
        return rows("SELECT state FROM patterns_sends WHERE pipe = ?", pipe).stream().map(r -> (String) r.get("state")).toList();
    }

    /** Ids starting with {@code prefix} in every request Roket answered 2xx, with how often each arrived. */
    Map<String, Integer> receivedByRoket(WireMockServer roket, String prefix) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (ServeEvent e : roket.getAllServeEvents()) {
            if (e.getRequest().getUrl().equals("/api/records") && e.getResponse().getStatus() / 100 == 2) {
                for (JsonNode r : JSON.readTree(e.getRequest().getBodyAsString())) {
                    if (r.get("sale_id").asText().startsWith(prefix)) {
                        out.merge(r.get("sale_id").asText(), 1, Integer::sum);
                    }
                }
            }
        }
        return out;
    }

    private List<Map<String, Object>> rows(String sql, Object... args) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(ledgerUrl, PG_USER, PG_USER); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }
}
