package routes.roket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEvent;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** A source table in a real H2 or PostgreSQL database, the settings that point flowledger at it and at WireMock. */
final class RoketFixture {

    static final String DATE = "2026-11-20";
    static final String TOKEN = "test-roket-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Record ids of every UNCERTAIN batch of the date (open or resolved): the possible duplicates the ledger names. */
    static java.util.Set<String> uncertainRecordIds(RoketQueries ledger, String date) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Map<String, Object> b : ledger.batches(date)) {
            if ("UNCERTAIN".equals(b.get("state"))) {
                out.addAll(RoketSql.parseIds((String) b.get("record_ids")));
            }
        }
        return out;
    }

    final TestDatabase database;
    final String sourceUrl;
    final String ledgerUrl;

    RoketFixture(TestDatabase database) throws Exception {
        this.database = database;
        this.sourceUrl = database.newUrl();
        this.ledgerUrl = database.newUrl();
        try (Connection c = source(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sales (Sale_Id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL, "
                    + "amount NUMERIC(12,2), note VARCHAR(100), sold_at TIMESTAMP)");
        }
    }

    Connection source() throws Exception {
        return DriverManager.getConnection(sourceUrl, database.user(), database.password());
    }

    /** Adds rows s-<from> .. s-<to-1> to the date. */
    RoketFixture rows(String date, int from, int to) throws Exception {
        try (Connection c = source(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO sales (Sale_Id, sale_date, amount, note, sold_at) VALUES (?, ?, ?, ?, ?)")) {
            for (int i = from; i < to; i++) {
                ps.setString(1, id(i));
                ps.setDate(2, java.sql.Date.valueOf(date));
                ps.setBigDecimal(3, new java.math.BigDecimal(i + ".25"));
                ps.setString(4, "row " + i);
                ps.setTimestamp(5, java.sql.Timestamp.valueOf(date + " 10:00:00"));
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return this;
    }

    static String id(int i) {
        return String.format("s-%05d", i);
    }

    static List<String> ids(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(id(i));
        }
        return out;
    }

    Map<String, String> settings(WireMockExtension roket) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.roket-upload.enabled", "true");
        m.put("flowledger.db.url", ledgerUrl);
        m.put("flowledger.db.user", database.user());
        m.put("flowledger.db.password", database.password());
        m.put("flowledger.roket.source.url", sourceUrl);
        m.put("flowledger.roket.source.user", database.user());
        m.put("flowledger.roket.source.password", database.password());
        // Reordered on purpose by the tests that change the order; the id column is matched case-insensitively.
        m.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY Sale_Id");
        m.put("flowledger.roket.id-column", "SALE_ID");
        m.put("flowledger.roket.source.fetch-size", "50");
        m.put("flowledger.roket.api.url", WireMockServers.url(roket) + "/api/records");
        m.put("flowledger.roket.api.token", TOKEN);
        m.put("flowledger.roket.batch-size", "100");
        m.put("flowledger.roket.concurrency", "4");
        // Generous for a loaded build machine; tests about answers that never come set 1000 and hang longer.
        m.put("flowledger.roket.request-timeout", "4000");
        m.put("flowledger.roket.retry.max-attempts", "4");
        m.put("flowledger.roket.retry.backoff", "50");
        m.put("flowledger.roket.retry.max-backoff", "200");
        m.put("flowledger.roket.lock-timeout", "PT1S");
        m.put("flowledger.roket.progress-interval", "PT1S");
        return m;
    }

    static FlowledgerApp start(Map<String, String> settings) throws Exception {
        return TestApp.start(settings);
    }

    static RoketUploads uploads(FlowledgerApp app) {
        return RoketUploads.of(app.camelContext());
    }

    /** Ids in every request Roket answered 2xx (what it stored), with how often each arrived. */
    static Map<String, Integer> stored(WireMockExtension roket) {
        Map<String, Integer> out = new HashMap<>();
        for (ServeEvent e : roket.getAllServeEvents()) {
            if (e.getResponse().getStatus() / 100 == 2) {
                for (String id : idsOf(e)) {
                    out.merge(id, 1, Integer::sum);
                }
            }
        }
        return out;
    }

    static List<String> idsOf(ServeEvent e) {
        try {
            List<String> out = new ArrayList<>();
            for (JsonNode r : JSON.readTree(e.getRequest().getBodyAsString())) {
                out.add(r.get("SALE_ID") != null ? r.get("SALE_ID").asText() : r.get("sale_id").asText());
            }
            return out;
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    static int requests(WireMockExtension roket) {
        return roket.getAllServeEvents().size();
    }

    /** Captures every status event the pipeline hands to direct:status-emit (as it is sent there). */
    static List<StatusEvent> captureStatus(FlowledgerApp app) throws Exception {
        return TestApp.captureStatus(app);
    }
}
