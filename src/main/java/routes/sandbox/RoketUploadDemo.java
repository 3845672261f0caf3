package routes.sandbox;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import routes.app.FlowledgerApp;
import routes.roket.RoketRun;
import routes.roket.RoketUploads;

/**
 * roket-upload in the demo: yesterday's 1,000 rows of an in-memory source go to the Roket simulator, which answers
 * some requests 503 or 429 and refuses two records (422); then the same date runs again and sends nothing twice.
 */
public class RoketUploadDemo implements DemoScenario {

    static final String SOURCE_URL = "jdbc:h2:mem:roket-demo-source;DB_CLOSE_DELAY=-1;DATABASE_TO_LOWER=TRUE";
    static final int ROWS = 1000;
    static final String REFUSED_1 = "sale-00123";
    static final String REFUSED_2 = "sale-00777";

    @Override
    public String pipeline() {
        return "roket-upload";
    }

    @Override
    public Map<String, String> config(Sandbox sandbox) {
        // The demo's source; anything the user set (-D, environment, --config) wins.
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("flowledger.roket.source.url", SOURCE_URL);
        keys.put("flowledger.roket.source.user", "sa");
        keys.put("flowledger.roket.source.query", "SELECT * FROM demo_sales WHERE sale_date = :#date");
        keys.put("flowledger.roket.id-column", "sale_id");
        keys.put("flowledger.roket.retry.backoff", "200");
        return keys;
    }

    @Override
    public void prepare(Sandbox sandbox) throws Exception {
        String date = LocalDate.now().minusDays(1).toString();
        try (Connection c = DriverManager.getConnection(SOURCE_URL, "sa", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS demo_sales (sale_id VARCHAR(20) PRIMARY KEY, sale_date DATE, "
                    + "store VARCHAR(20), amount DECIMAL(10,2))");
            try (PreparedStatement ps = c.prepareStatement("MERGE INTO demo_sales KEY (sale_id) VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < ROWS; i++) {
                    ps.setString(1, String.format("sale-%05d", i));
                    ps.setDate(2, java.sql.Date.valueOf(date));
                    ps.setString(3, "store-" + (i % 7));
                    ps.setBigDecimal(4, new java.math.BigDecimal((i % 90) + 10 + ".50"));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        sandbox.http.roketIdField = "sale_id";
        sandbox.http.roketFail503Every = 4;
        sandbox.http.roketThrottleEvery = 9;
        sandbox.http.roketRefusedIds.add(REFUSED_1);
        sandbox.http.roketRefusedIds.add(REFUSED_2);
    }

    @Override
    public boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception {
        String date = LocalDate.now().minusDays(1).toString();
        RoketUploads uploads = RoketUploads.of(app.camelContext());
        out.println("Uploading " + ROWS + " rows of " + date + " to the Roket simulator (" + sandbox.http.roketUrl()
                + "), which answers every 4th request 503, every 9th 429 (Retry-After: 1) and refuses "
                + REFUSED_1 + " and " + REFUSED_2 + " (422: the whole request is refused).");
        RoketRun.Summary first = uploads.upload(date, "demo", false);
        out.println(first.format());
        long storedAfterFirst = sandbox.http.roketRecords.size();
        out.println("(FAILED is the honest answer: two records are refused, so the upload command would exit 1.)");
        out.println("Roket stored " + storedAfterFirst + " distinct records; rejected, isolated by narrowing down: "
                + uploads.ledger().rejectedRecordIds(date));

        out.println();
        out.println("Running " + date + " again: delivered records are skipped; only the two refused ones are tried again.");
        RoketRun.Summary second = uploads.upload(date, "demo", false);
        out.println(second.format());
        long duplicates = sandbox.http.roketRecords.values().stream().filter(n -> n.get() > 1).count();
        out.println("Roket now holds " + sandbox.http.roketRecords.size() + " distinct records, " + duplicates
                + " of them more than once (GET " + sandbox.http.roketUrl() + " shows it).");
        out.println("The ledger: table roket_batch (one row per request body), roket_run, roket_rejected_record, and the"
                + " delivered ids in CAMEL_MESSAGEPROCESSED (processorName roket-upload/" + date + ").");
        return storedAfterFirst == ROWS - 2 && first.rejected() == 2 && first.retries() > 0
                && second.sent() == 2 && second.skipped() == ROWS - 2 && duplicates == 0
                && sandbox.http.roketRecords.size() == ROWS - 2;
    }
}
