package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The operator console in a real headless Chromium, against a service with real dataflows: a finished Roket
 * upload of 450 rows, a Cubic load that really failed (a corrupt file on the real S3 server), a replay run with
 * a failed day, a pattern pipe halted by its circuit breaker, and a run that went silent.
 */
@ExtendWith(S3Server.class)
class StatusConsoleTest {

    static final String UPLOAD = "roket-run-450";
    static final String REPLAY = "replay-run-7";
    static final String PIPE = "orders-share-run-3";
    static final String SILENT = "nightly-export-12";

    static FlowledgerApp app;
    static String base;
    static long failedLoad;

    @BeforeAll
    static void startServiceWithRealDataflows() throws Exception {
        S3Client s3 = S3Server.client();
        String p = "console" + (System.nanoTime() % 1_000_000);
        Map<String, String> s = new LinkedHashMap<>();
        for (String b : List.of("incoming", "springboard", "archive", "error")) {
            s3.createBucket(r -> r.bucket(p + "-" + b));
            s.put("flowledger.cubic." + b + "-bucket", p + "-" + b);
        }
        s.put("flowledger.cubic-ingestion.enabled", "true");
        s.put("flowledger.s3.endpoint", S3Server.endpoint());
        s.put("flowledger.s3.access-key", S3Server.accessKey());
        s.put("flowledger.s3.secret-key", S3Server.secretKey());
        s.put("flowledger.cubic.tables", "cubic__ods_qlik__edw_sample=cubic/ods_qlik/EDW.SAMPLE/");
        // One discovery at start: the retried object must not be found again as a new load before the retry
        // has recorded it (that race is the cubic pipeline's, not the console's).
        s.put("flowledger.cubic.poll-interval", "PT10M");
        s.put("flowledger.cubic.work-interval", "100");
        s.put("flowledger.api.password", "api-secret");
        s3.putObject(b -> b.bucket(p + "-incoming").key("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz"),
                RequestBody.fromBytes(gzip("ID,NAME\n1,alpha\n")));
        s3.putObject(b -> b.bucket(p + "-incoming").key("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz"),
                RequestBody.fromBytes("not gzip at all".getBytes(StandardCharsets.UTF_8)));
        app = TestApp.start(s); // the status pipeline is on by default
        base = "http://127.0.0.1:" + app.httpPort();


        StatusEmitter e = app.statusEmitter();
        Instant t = Instant.now().minusSeconds(600);
        // A Roket upload of 450 rows in 5 batches, finished.
        e.emit(StatusEvent.dataSetDetails(UPLOAD, "roket-upload/2026-11-20", "1", StatusEvent.DataSetType.TABLE, 450));
        e.emit(at(UPLOAD, null, "ROKET_UPLOAD", State.IN_PROGRESS, "uploading", null, null, t));
        emitRecords(e, UPLOAD, "ROKET_UPLOAD", 450, t.plusSeconds(1));
        e.emit(at(UPLOAD, null, "ROKET_UPLOAD", State.SUCCESS, "450 delivered", null, null, t.plusSeconds(40)));
        // A replay run: the first day replayed, the second failed in REPLAY and was restored.
        e.emit(StatusEvent.dataSetDetails(REPLAY, "ingest/2026-11-01", "1", StatusEvent.DataSetType.FILE, 1200));
        e.emit(at(REPLAY, null, "REPLAY", State.IN_PROGRESS, "replay of 2026-11-01..2026-11-02", null, null, t));
        for (String stage : List.of("PREFLIGHT", "BACKUP", "REPLAY", "CLEANUP")) {
            e.emit(at(REPLAY, "2026-11-01", stage, State.SUCCESS, stage.toLowerCase() + " done", null, null, t.plusSeconds(5)));
        }
        e.emit(at(REPLAY, "2026-11-02", "REPLAY", State.FAILED, "Kafka did not acknowledge within PT2M", 503, null,
                t.plusSeconds(60)));
        e.emit(at(REPLAY, "2026-11-02", "RESTORE", State.SUCCESS, "3 blob(s) restored", null, null, t.plusSeconds(70)));
        e.emit(at(REPLAY, null, "REPLAY", State.FAILED, "1 of 2 days failed", null, null, t.plusSeconds(71)));
        // A pattern pipe halted by its circuit breaker.
        e.emit(at(PIPE, null, "PATTERNS:orders-share", State.SKIPPED,
                "halted: the circuit breaker holds a change of 80% of the dataset", null, null, t.plusSeconds(90)));
        // A run that said it started, then nothing for two hours.
        e.emit(at(SILENT, null, "EXPORT", State.IN_PROGRESS, "exporting", null, null, Instant.now().minusSeconds(7200)));

        await().atMost(Duration.ofSeconds(60)).until(() -> loadStatus("LOAD002") != null
                && "errored".equals(loadStatus("LOAD002")));
        failedLoad = loadId("LOAD002");
        TestApp.awaitFinishedDataflow(app, "cubic-load-" + failedLoad);
        TestApp.awaitFinishedDataflow(app, UPLOAD);
        TestApp.awaitFinishedDataflow(app, REPLAY);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** The upload's rows as record-level events, one a row. */
    static void emitRecords(StatusEmitter e, String id, String stage, int n, Instant t) {
        for (int i = 0; i < n; i++) {
            e.emit(at(id, "row-" + i, stage, State.SUCCESS, null, null, null, t.plusMillis(i * 50L)));
        }
    }

    static StatusEvent at(String id, String recordId, String stage, State state, String message, Integer code,
                          Long recordCount, Instant ts) {
        return new StatusEvent(StatusEvent.STATUS, new StatusEvent.Props(UUID.randomUUID().toString(), id, null, null,
                null, recordCount, recordId, recordId == null ? null : "1", stage, state.name(), message, code, ts));
    }

    @Test
    void the_list_shows_a_full_bar_for_the_finished_450_row_upload_and_marks_failed_running_and_stalled_flows()
            throws Exception {
        String dom = Chromium.dumpDom(base + "/dataflows");
        String upload = StatusApiTest.rowOf(dom, UPLOAD);
        assertThat(upload).contains("SUCCEEDED").contains("450 / 450 (100%)").contains("aria-valuenow=\"100\"")
                .contains("<div class=\"fill\" style=\"width:100%\">").contains("roket-upload/2026-11-20")
                .contains("href=\"/dataflows/" + UPLOAD + "\"");
        assertThat(StatusApiTest.rowOf(dom, "cubic-load-" + failedLoad)).contains(">FAILED<").contains("corrupt gzip")
                .contains("cubic-ingestion");
        assertThat(StatusApiTest.rowOf(dom, REPLAY)).contains(">FAILED<").contains("replay")
                .contains("1 failed.").contains("REPLAY: 1 of 2 days failed");
        assertThat(StatusApiTest.rowOf(dom, PIPE)).contains("patterns").contains("PATTERNS:orders-share")
                .contains("halted: the circuit breaker holds a change of 80% of the dataset");
        assertThat(StatusApiTest.rowOf(dom, SILENT)).contains(">STALLED<");

        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(base + "/dataflows");
            String row = "document.querySelector('tr[data-correlation-id=\"" + UPLOAD + "\"]')";
            tab.waitFor(row, Duration.ofSeconds(20));
            // the bar really fills: the fill is as wide as its track
            JsonNode widths = tab.eval("(function(){var b=" + row + ".querySelector('.bar');"
                    + "return [b.clientWidth, b.querySelector('.fill').getBoundingClientRect().width];})()");
            assertThat(widths.get(0).asDouble()).isGreaterThan(50);
            assertThat(widths.get(1).asDouble()).isEqualTo(widths.get(0).asDouble(), org.assertj.core.data.Offset.offset(1.0));

            // live refresh keeps the user's place: the focused link stays focused while rows update
            tab.eval("document.querySelector('a[href=\"/dataflows/" + UPLOAD + "\"]').focus()");
            app.statusEmitter().emit(at("new-flow-1", null, "EXTRACT", State.IN_PROGRESS, null, null, null, Instant.now()));
            tab.waitFor("document.querySelector('tr[data-correlation-id=\"new-flow-1\"]')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.activeElement.getAttribute('href')").asText()).isEqualTo("/dataflows/" + UPLOAD);

            // filters: state, and text search on the dataset id; the URL keeps them
            tab.eval("document.getElementById('f-state').value='FAILED'");
            tab.click("#filters button[type=submit]");
            tab.waitFor("document.querySelectorAll('#rows tr').length === 2", Duration.ofSeconds(20));
            assertThat(tab.eval("location.search").asText()).contains("state=FAILED");
            tab.click("#clear");
            tab.eval("document.getElementById('f-q').value='2026-11-20'");
            tab.click("#filters button[type=submit]");
            tab.waitFor("document.querySelectorAll('#rows tr').length === 1 && " + row, Duration.ofSeconds(20));
        }
    }

    @Test
    void the_failed_loads_page_shows_its_reason_its_state_history_and_a_retry_round_trips_with_the_api_login()
            throws Exception {
        String page = base + "/dataflows/cubic-load-" + failedLoad;
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(page);
            tab.waitFor("document.getElementById('pipeline-facts')", Duration.ofSeconds(20));
            String text = tab.eval("document.body.innerText").asText();
            assertThat(text).contains("FAILED").contains("corrupt gzip").contains("CUBIC_ERROR").contains("errored")
                    .contains("transitions").contains("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz");

            // without the login the API refuses, and the page says so
            tab.waitFor("document.querySelector('#actions button')", Duration.ofSeconds(10));
            tab.click("#actions button");
            tab.click("#confirm-yes");
            assertThat(tab.eval("document.getElementById('action-result').innerText").asText()).contains("Sign in first");
            tab.eval("document.getElementById('l-user').value='admin';document.getElementById('l-password').value='wrong'");
            tab.click("#login-form button[type=submit]");
            tab.click("#actions button");
            tab.click("#confirm-yes");
            tab.waitFor("document.getElementById('action-answer')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('action-answer').innerText").asText())
                    .contains("Refused (HTTP 401)").contains("wrong user or password");

            // signed in: the retry asks, then goes through, and the page shows the answer
            tab.eval("document.getElementById('l-user').value='admin';document.getElementById('l-password').value='api-secret'");
            tab.click("#login-form button[type=submit]");
            tab.click("#actions button");
            assertThat(tab.eval("document.getElementById('confirm-text').innerText").asText()).contains("Retry load " + failedLoad);
            assertThat(tab.eval("document.activeElement.id").asText()).isEqualTo("confirm-yes");
            tab.click("#confirm-yes");
            tab.waitFor("document.getElementById('action-answer')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('action-answer').innerText").asText())
                    .contains("Done (HTTP 200)").contains("retried through the API");
        }
        // the load really went back to work (and, its file being corrupt, errored again)
        await().atMost(Duration.ofSeconds(60)).until(() ->
                count("SELECT COUNT(*) FROM cubic_load_transitions WHERE load_id = " + failedLoad + " AND reason = 'retried through the API'") == 1);
    }

    @Test
    void the_replay_page_shows_the_failed_day_with_its_stage_timeline_and_error_code() throws Exception {
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(base + "/dataflows/" + REPLAY);
            tab.waitFor("document.querySelector('#stages tr[data-stage=\"RESTORE\"]')", Duration.ofSeconds(20));
            String stages = tab.eval("document.getElementById('stages').innerText").asText();
            assertThat(stages).contains("PREFLIGHT").contains("BACKUP").contains("CLEANUP").contains("RESTORE");
            String failures = tab.eval("document.getElementById('failures').innerText").asText();
            assertThat(failures).contains("2026-11-02").contains("503").contains("Kafka did not acknowledge within PT2M");
            assertThat(tab.eval("document.getElementById('datasets').innerText").asText()).contains("ingest/2026-11-01");
        }
    }

    @Test
    void screenshots_of_the_list_and_of_one_dataflow_at_1280x800_and_on_a_phone() throws Exception {
        Path dir = Path.of("target", "screenshots");
        Chromium.screenshot(base + "/dataflows", dir.resolve("console-dataflows.png"), 1280, 800);
        Chromium.screenshot(base + "/dataflows/" + REPLAY, dir.resolve("console-dataflow.png"), 1280, 800);
        Chromium.screenshot(base + "/dataflows", dir.resolve("console-phone.png"), 390, 844);
        assertThat(dir.resolve("console-dataflows.png")).isNotEmptyFile();
        assertThat(dir.resolve("console-dataflow.png")).isNotEmptyFile();
    }

    static String loadStatus(String file) {
        return query("SELECT status FROM cubic_loads WHERE s3_key LIKE '%/" + file + ".csv.gz'");
    }

    static long loadId(String file) {
        return Long.parseLong(query("SELECT id FROM cubic_loads WHERE s3_key LIKE '%/" + file + ".csv.gz'"));
    }

    static long count(String sql) {
        return Long.parseLong(query(sql));
    }

    static String query(String sql) {
        try (var c = app.db().dataSource().getConnection(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] gzip(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
