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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import routes.testkit.WireMockServers;
import java.nio.file.Files;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.KafkaServer;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The operator console in a real headless Chromium, against a service with real dataflows: a finished Roket
 * upload of 450 rows, a Cubic load that really failed (a corrupt file on the real S3 server), a replay run with
 * a failed day, a pattern pipe halted by its circuit breaker, and a run that went silent.
 */
@ExtendWith({S3Server.class, KafkaServer.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the list sees the pipe halted before a test commits it
class StatusConsoleTest {

    static final String REPLAY = "replay-run-7";
    static final String PIPE = "stock-rescan";
    static final String HALTED_RUN = PIPE + "-run-3";
    static final String SILENT = "nightly-export-12";
    static final String WAITING = "cubic-kafka-console_waiting";
    static final String API_PASSWORD = "api-secret";

    @RegisterExtension
    static WireMockExtension remote = WireMockServers.create();

    @TempDir
    static Path routesDir;

    static FlowledgerApp app;
    static String base;
    static long failedLoad;
    /** The run ids of two real Roket uploads: 450 rows all delivered; 10 rows of which Roket refuses one. */
    static String upload;
    static String refusedUpload;
    /** A real replay run of two days, both failed in their pre-flight. */
    static String replayRun;

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
        s.put("flowledger.api.password", API_PASSWORD);
        s3.putObject(b -> b.bucket(p + "-incoming").key("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz"),
                RequestBody.fromBytes(gzip("ID,NAME\n1,alpha\n")));
        s3.putObject(b -> b.bucket(p + "-incoming").key("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz"),
                RequestBody.fromBytes("not gzip at all".getBytes(StandardCharsets.UTF_8)));

        // Roket: a source table in H2 and the Roket API in WireMock, which refuses one record (r-00457).
        String source = "jdbc:h2:mem:console-source-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (var c = java.sql.DriverManager.getConnection(source, "sa", ""); var st = c.createStatement()) {
            st.execute("CREATE TABLE sales (Sale_Id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL, amount INT)");
            try (var ps = c.prepareStatement("INSERT INTO sales VALUES (?, ?, ?)")) {
                for (int i = 0; i < 460; i++) {
                    ps.setString(1, String.format("r-%05d", i));
                    ps.setDate(2, java.sql.Date.valueOf(i < 450 ? "2026-11-20" : "2026-11-21"));
                    ps.setInt(3, i == 457 ? -5 : i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        remote.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/api/records")).atPriority(5).willReturn(okJson("{\"stored\":true}")));
        remote.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/api/records")).atPriority(1).withRequestBody(containing("\"r-00457\""))
                .willReturn(aResponse().withStatus(422).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":\"amount must not be negative\"}")));
        s.put("flowledger.roket-upload.enabled", "true");
        s.put("flowledger.roket.source.url", source);
        s.put("flowledger.roket.source.user", "sa");
        s.put("flowledger.roket.source.password", "");
        s.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY Sale_Id");
        s.put("flowledger.roket.id-column", "SALE_ID");
        s.put("flowledger.roket.api.url", WireMockServers.url(remote) + "/api/records");
        s.put("flowledger.roket.api.token", "console-token");
        s.put("flowledger.roket.request-timeout", "4000");

        // Replay on the S3 server: day one's backup is not JSON, day two has none: both fail their pre-flight.
        s3.createBucket(r -> r.bucket(p + "-replay"));
        s3.putObject(b -> b.bucket(p + "-replay").key("unique/2026-11-01-00.json"),
                RequestBody.fromBytes("not json\nnot json either\n".getBytes(StandardCharsets.UTF_8)));
        s.put("flowledger.replay.enabled", "true");
        s.put("flowledger.replay.store", "s3");
        s.put("flowledger.replay.bucket", p + "-replay");
        // A real broker: the pre-flight checks it first, and the days must fail on their backups, not on Kafka.
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.druid.url", WireMockServers.url(remote));

        // Patterns: a pipe that rescans an HTTP source; its circuit breaker trips when the source answers nothing.
        remote.stubFor(get(urlEqualTo("/stock")).willReturn(okJson(
                "[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":1},{\"id\":\"c\",\"v\":1},{\"id\":\"d\",\"v\":1}]")));
        Files.writeString(routesDir.resolve("stock.yaml"), """
                - templatedRoute:
                    routeTemplateRef: http-rescan-source
                    routeId: %s
                    parameters:
                      - {name: pipe, value: "%s"}
                      - {name: dataset, value: "stock"}
                      - {name: url, value: "%s/stock"}
                      - {name: period, value: "3600000"}
                      - {name: delay, value: "100"}
                """.formatted(PIPE, PIPE, WireMockServers.url(remote)));
        s.put("flowledger.patterns.enabled", "true");
        s.put("flowledger.routes.dir", routesDir.toString());

        app = TestApp.start(s); // the status pipeline is on by default
        base = "http://127.0.0.1:" + app.httpPort();

        StatusEmitter e = app.statusEmitter();
        Instant t = Instant.now().minusSeconds(600);
        // Two real uploads through the API.
        upload = post("/api/roket/uploads?date=2026-11-20", 202).path("runId").asText();
        TestApp.awaitFinishedDataflow(app, upload);
        refusedUpload = post("/api/roket/uploads?date=2026-11-21", 202).path("runId").asText();
        // A replay run, started through the API.
        replayRun = post("/api/replays", "{\"startDate\":\"2026-11-01\",\"endDate\":\"2026-11-02\",\"topic\":\"console-replay\","
                + "\"bucket\":\"" + p + "-replay\",\"prefix\":\"unique\"}", 202).path("id").asText();
        // The pipe: its first run stores four entities; then the source answers nothing: the breaker trips (run 2)
        // and the next run is held back (run 3).
        await().atMost(Duration.ofSeconds(60)).until(() -> "1".equals(query("SELECT runs FROM patterns_pipes WHERE pipe = '" + PIPE + "'"))
                && app.camelContext().getInflightRepository().size() == 0);
        remote.stubFor(get(urlEqualTo("/stock")).willReturn(okJson("[]")));
        var datasets = app.camelContext().getRegistry().lookupByNameAndType("patternsDatasets", routes.patterns.Datasets.class);
        datasets.runPipe(PIPE, app.camelContext());
        datasets.runPipe(PIPE, app.camelContext());
        // A replay run told only through status messages: the first day replayed, the second failed and restored.
        e.emit(StatusEvent.dataSetDetails(REPLAY, "ingest/2026-11-01", "1", StatusEvent.DataSetType.FILE, 1200));
        e.emit(at(REPLAY, null, "REPLAY", State.IN_PROGRESS, "replay of 2026-11-01..2026-11-02", null, null, t));
        for (String stage : List.of("PREFLIGHT", "BACKUP", "REPLAY", "CLEANUP")) {
            e.emit(at(REPLAY, "2026-11-01", stage, State.SUCCESS, stage.toLowerCase() + " done", null, null, t.plusSeconds(5)));
        }
        e.emit(at(REPLAY, "2026-11-02", "REPLAY", State.FAILED, "Kafka did not acknowledge within PT2M", 503, null,
                t.plusSeconds(60)));
        e.emit(at(REPLAY, "2026-11-02", "RESTORE", State.SUCCESS, "3 blob(s) restored", null, null, t.plusSeconds(70)));
        e.emit(at(REPLAY, null, "REPLAY", State.FAILED, "1 of 2 days failed", null, null, t.plusSeconds(71)));
        // A run that said it started, then nothing for two hours.
        e.emit(at(SILENT, null, "EXPORT", State.IN_PROGRESS, "exporting", null, null, Instant.now().minusSeconds(7200)));
        // A batcher that wrote its object two hours ago and waits for more input: WAITING, not stalled.
        e.emit(at(WAITING, "obj-1", "BATCH", State.SUCCESS, "written", null, null, Instant.now().minusSeconds(7201)));
        e.emit(at(WAITING, null, "BATCH", State.IN_PROGRESS, StatusEvent.WAITING_FOR + "more records of t1", null, null,
                Instant.now().minusSeconds(7200)));

        await().atMost(Duration.ofSeconds(60)).until(() -> loadStatus("LOAD002") != null
                && "errored".equals(loadStatus("LOAD002")));
        failedLoad = loadId("LOAD002");
        TestApp.awaitFinishedDataflow(app, "cubic-load-" + failedLoad);
        TestApp.awaitFinishedDataflow(app, refusedUpload);
        TestApp.awaitFinishedDataflow(app, REPLAY);
        TestApp.awaitFinishedDataflow(app, replayRun);
        TestApp.awaitFinishedDataflow(app, HALTED_RUN);
    }

    static JsonNode post(String path, int expected) throws Exception {
        return post(path, null, expected);
    }

    /** A POST with the API login, as an operator's script would send it. */
    static JsonNode post(String path, String json, int expected) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + path)).header("Authorization", "Basic " + java.util.Base64.getEncoder()
                .encodeToString(("admin:" + API_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(json == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(expected);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    static StatusEvent at(String id, String recordId, String stage, State state, String message, Integer code,
                          Long recordCount, Instant ts) {
        return new StatusEvent(StatusEvent.STATUS, new StatusEvent.Props(UUID.randomUUID().toString(), id, null, null,
                null, recordCount, recordId, recordId == null ? null : "1", stage, state.name(), message, code, ts));
    }

    @Test
    @Order(1)
    void the_list_shows_a_full_bar_for_the_finished_450_row_upload_and_marks_failed_halted_running_and_stalled_flows()
            throws Exception {
        final String UPLOAD = upload;
        String dom = Chromium.dumpDom(base + "/dataflows");
        String upload = StatusApiTest.rowOf(dom, UPLOAD);
        assertThat(upload).contains("SUCCEEDED").contains("450 / 450 (100%)").contains("aria-valuenow=\"100\"")
                .contains("<div class=\"fill\" style=\"width:100%\">").contains("roket-upload/2026-11-20")
                .contains("href=\"/dataflows/" + UPLOAD + "\"");
        assertThat(StatusApiTest.rowOf(dom, "cubic-load-" + failedLoad)).contains(">FAILED<").contains("corrupt gzip")
                .contains("cubic-ingestion");
        assertThat(StatusApiTest.rowOf(dom, REPLAY)).contains(">FAILED<").contains("replay")
                .contains("1 failed.").contains("REPLAY: 1 of 2 days failed");
        // the run its circuit breaker held back: HALTED (needs attention), not the SUCCEEDED its SKIPPED would give
        assertThat(StatusApiTest.rowOf(dom, HALTED_RUN)).contains(">HALTED<").contains("patterns")
                .contains("PATTERNS:" + PIPE).contains("halted by its circuit breaker").contains("returned nothing");
        assertThat(StatusApiTest.rowOf(dom, PIPE + "-run-2")).contains(">FAILED<").contains("circuit breaker tripped");
        assertThat(StatusApiTest.rowOf(dom, PIPE + "-run-1")).contains(">SUCCEEDED<");
        assertThat(StatusApiTest.rowOf(dom, refusedUpload)).contains(">FAILED<").contains("1 rejected")
                .contains("roket-upload/2026-11-21");
        assertThat(StatusApiTest.rowOf(dom, SILENT)).contains(">STALLED<");
        assertThat(StatusApiTest.rowOf(dom, WAITING)).contains(">WAITING<").doesNotContain("STALLED")
                .contains("waiting for more records of t1");

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
            int failed = StatusApiTest.get(app, "/api/dataflows?state=FAILED", 200).path("items").size();
            assertThat(failed).as("the failed load, both replays, the refused upload, the tripped and the held pipe run")
                    .isEqualTo(6);
            tab.waitFor("document.querySelectorAll('#rows tr').length === " + failed + " && !" + row
                    + " && document.querySelector('tr[data-correlation-id=\"" + HALTED_RUN + "\"]')", Duration.ofSeconds(20));
            assertThat(tab.eval("location.search").asText()).contains("state=FAILED");
            tab.click("#clear");
            tab.eval("document.getElementById('f-q').value='2026-11-20'");
            tab.click("#filters button[type=submit]");
            tab.waitFor("document.querySelectorAll('#rows tr').length === 1 && " + row, Duration.ofSeconds(20));
        }
    }

    @Test
    @Order(5)
    void the_failed_loads_page_shows_its_reason_its_state_history_and_a_retry_round_trips_with_the_api_login()
            throws Exception {
        String page = base + "/dataflows/cubic-load-" + failedLoad;
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(page);
            tab.waitFor("document.getElementById('pipeline-facts')", Duration.ofSeconds(20));
            String text = tab.eval("document.body.innerText").asText();
            assertThat(text).contains("FAILED").contains("corrupt gzip").contains("CUBIC_ERROR").contains("errored")
                    .contains("State history").contains("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz");
            // its state history, transition by transition, and the .error.json the pipeline wrote beside the object
            String history = tab.eval("document.getElementById('pipeline-facts').innerText").asText();
            assertThat(history).contains("ready").contains("ingesting").contains("ready_for_erroring")
                    .contains("erroring").contains("errored");
            tab.waitFor("document.getElementById('error-reason')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('error-reason').innerText").asText()).contains("corrupt gzip");
            assertThat(tab.eval("document.getElementById('error-report').innerText").asText())
                    .contains("LOAD002.csv.gz.error.json").contains("erroredAt").contains(String.valueOf(failedLoad));

            // without the login the API refuses, and the page says so
            tab.waitFor("document.querySelector('#actions button')", Duration.ofSeconds(10));
            assertThat(tab.eval("getComputedStyle(document.getElementById('signed-in')).display").asText())
                    .as("signed out: the page does not claim to be signed in").isEqualTo("none");
            assertThat(tab.eval("getComputedStyle(document.getElementById('login')).display").asText()).isNotEqualTo("none");
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
        // a load that never errored has no error report; an unknown load is not there
        assertThat(StatusApiTest.get(app, "/api/cubic/loads/" + loadId("LOAD001") + "/error-report", 404)
                .path("error").asText()).contains("no error report");
        StatusApiTest.get(app, "/api/cubic/loads/999999/error-report", 404);
        // the load really went back to work (and, its file being corrupt, errored again)
        await().atMost(Duration.ofSeconds(60)).until(() ->
                count("SELECT COUNT(*) FROM cubic_load_transitions WHERE load_id = " + failedLoad + " AND reason = 'retried through the API'") == 1);
    }

    @Test
    @Order(3)
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
    @Order(2)
    void the_roket_run_view_shows_the_runs_batches_and_the_record_roket_refused_with_its_reason() throws Exception {
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(base + "/dataflows/" + upload);
            tab.waitFor("document.getElementById('roket-batches')", Duration.ofSeconds(20));
            // 450 rows in batches of at most 100: five batches, each delivered on its first attempt
            JsonNode batches = tab.eval("Array.from(document.querySelectorAll('#roket-batches tbody tr')).map(function(r){"
                    + "return Array.from(r.cells).map(function(c){return c.innerText;}).join('|');})");
            assertThat(batches).hasSize(5);
            assertThat(batches.toString()).contains("DELIVERED|100|1|200").contains("DELIVERED|50|1|200");
            assertThat(tab.eval("document.getElementById('pipeline').innerText").asText())
                    .contains("Roket refused no record").contains("2026-11-20");

            tab.navigate(base + "/dataflows/" + refusedUpload);
            tab.waitFor("document.getElementById('roket-rejected')", Duration.ofSeconds(20));
            String rejected = tab.eval("document.getElementById('roket-rejected').innerText").asText();
            assertThat(rejected).contains("r-00457").contains("422").contains("amount must not be negative");
            assertThat(tab.eval("document.querySelectorAll('#roket-rejected tbody tr').length").asInt()).isEqualTo(1);
            // the refused batch narrowed down: SPLIT batches, the refused record's own batch REJECTED, the rest DELIVERED
            String states = tab.eval("document.getElementById('roket-batches').innerText").asText();
            assertThat(states).contains("SPLIT").contains("REJECTED").contains("DELIVERED");
        }
        // the same from the API, as a script reads it
        JsonNode run = StatusApiTest.get(app, "/api/roket/uploads/" + upload, 200);
        assertThat(run.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.path("date").asText()).isEqualTo("2026-11-20");
        assertThat(run.path("delivered").asLong()).isEqualTo(450);
        assertThat(run.path("batchList")).hasSize(5);
        assertThat(run.path("rejectedRecords")).isEmpty();
        JsonNode refused = StatusApiTest.get(app, "/api/roket/uploads/" + refusedUpload, 200);
        assertThat(refused.path("state").asText()).isEqualTo("FAILED");
        assertThat(refused.path("rejected").asLong()).isEqualTo(1);
        assertThat(refused.path("rejectedRecords").get(0).path("recordId").asText()).isEqualTo("r-00457");
        assertThat(refused.path("rejectedRecords").get(0).path("httpStatus").asInt()).isEqualTo(422);
        assertThat(StatusApiTest.get(app, "/api/roket/uploads/no-such-run", 404).path("error").asText())
                .contains("no roket run no-such-run");
    }

    @Test
    @Order(4)
    void a_halted_pipes_page_shows_watermark_breaker_and_conflicts_and_commit_round_trips() throws Exception {
        JsonNode view = StatusApiTest.get(app, "/api/dataflows/" + HALTED_RUN, 200);
        assertThat(view.path("state").asText()).isEqualTo("FAILED");
        assertThat(view.path("halted").asBoolean()).isTrue();
        assertThat(view.path("lastFailure").path("message").asText()).contains("halted by its circuit breaker");
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(base + "/dataflows/" + HALTED_RUN);
            tab.waitFor("document.getElementById('breaker') && document.querySelector('#conflicts .extra')"
                    + " && !document.querySelector('#conflicts .extra').innerText.includes('loading')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('summary').innerText").asText()).contains("HALTED");
            assertThat(tab.eval("document.getElementById('breaker').innerText").asText()).contains("HALTED")
                    .contains("returned nothing");
            assertThat(tab.eval("document.getElementById('watermark').innerText").asText()).isNotNull();
            assertThat(tab.eval("document.getElementById('held').innerText").asText()).contains("4 entit");
            assertThat(tab.eval("document.getElementById('conflicts').innerText").asText()).contains("Conflicts");

            tab.eval("document.getElementById('l-user').value='admin';document.getElementById('l-password').value='"
                    + API_PASSWORD + "'");
            tab.click("#login-form button[type=submit]");
            tab.waitFor("document.querySelector('#actions button.primary')", Duration.ofSeconds(10));
            assertThat(tab.eval("getComputedStyle(document.getElementById('login')).display").asText()).isEqualTo("none");
            assertThat(tab.eval("document.getElementById('actions').innerText").asText())
                    .contains("Commit the held change").contains("Roll back the held change");
            tab.click("#actions button.primary");
            assertThat(tab.eval("document.getElementById('confirm-text').innerText").asText())
                    .contains("Commit the change the circuit breaker of " + PIPE + " held");
            tab.click("#confirm-yes");
            tab.waitFor("document.getElementById('action-answer')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('action-answer').innerText").asText())
                    .contains("Done (HTTP 200)").contains("committed");
            // the page reloads the pipe: the breaker is closed and there is nothing left to commit
            tab.waitFor("document.getElementById('breaker') && document.getElementById('breaker').innerText.includes('closed')",
                    Duration.ofSeconds(20));
            assertThat(tab.eval("document.querySelectorAll('#actions button').length").asInt()).isZero();
        }
        assertThat(query("SELECT state FROM patterns_pipes WHERE pipe = '" + PIPE + "'")).isEqualTo("running");
        assertThat(StatusApiTest.get(app, "/api/dataflows/" + HALTED_RUN, 200).path("halted").asBoolean()).isFalse();
    }

    @Test
    @Order(6)
    void the_replay_run_view_shows_its_days_and_resume_round_trips_with_the_api_login() throws Exception {
        try (Chromium.Session tab = Chromium.open(1280, 800)) {
            tab.navigate(base + "/dataflows/" + replayRun);
            tab.waitFor("document.getElementById('replay-days')", Duration.ofSeconds(20));
            String days = tab.eval("document.getElementById('replay-days').innerText").asText();
            assertThat(days).contains("2026-11-01").contains("2026-11-02").contains("FAILED").contains("PREFLIGHT")
                    .contains("not JSON").contains("no backup blobs");
            assertThat(tab.eval("document.querySelectorAll('#replay-days tbody tr').length").asInt()).isEqualTo(2);

            tab.eval("document.getElementById('l-user').value='admin';document.getElementById('l-password').value='"
                    + API_PASSWORD + "'");
            tab.click("#login-form button[type=submit]");
            tab.waitFor("document.querySelector('#actions button')", Duration.ofSeconds(10));
            tab.click("#actions button");
            assertThat(tab.eval("document.getElementById('confirm-text').innerText").asText())
                    .contains("Resume replay run " + replayRun);
            tab.click("#confirm-yes");
            tab.waitFor("document.getElementById('action-answer')", Duration.ofSeconds(20));
            assertThat(tab.eval("document.getElementById('action-answer').innerText").asText())
                    .contains("Done (HTTP 202)").contains(replayRun);
        }
        // the service really took the run again (its claim, then its days: both had ended FAILED, so none to redo)
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM status WHERE correlation_id = '"
                + replayRun + "' AND message LIKE '%0 day(s) to do%'") == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(
                query("SELECT status FROM replay_runs WHERE id = '" + replayRun + "'")));
        // refused: without the login, a run that is not there, a run that succeeded, a run another process works on
        var anonymous = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "/api/replays/" + replayRun + "/resume"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        post("/api/replays/no-such-run/resume", 404);
        routes.replay.ReplayLedger ledger = new routes.replay.ReplayLedger(app.db().dataSource());
        ledger.createRun("replay-done", "{}", false, List.of("2026-10-01"));
        assertThat(ledger.claim("replay-done", "other-host:1", Instant.now())).isTrue();
        assertThat(post("/api/replays/replay-done/resume", 409).path("error").asText()).contains("is being worked on");
        ledger.finishRun("replay-done", "other-host:1", true, null);
        assertThat(post("/api/replays/replay-done/resume", 409).path("error").asText()).contains("succeeded");
    }

    @Test
    @Order(0) // before any action: the list shows the pipe halted, the load errored
    void screenshots_of_the_list_and_of_one_dataflow_at_1280x800_and_on_a_phone() throws Exception {
        Path dir = Path.of("target", "screenshots");
        Chromium.screenshot(base + "/dataflows", dir.resolve("console-dataflows.png"), 1280, 800);
        // one dataflow: tall enough to show its pipeline's own view below the summary
        Chromium.screenshot(base + "/dataflows/" + replayRun, dir.resolve("console-dataflow.png"), 1280, 1500);
        Chromium.screenshot(base + "/dataflows/" + refusedUpload, dir.resolve("console-roket-run.png"), 1280, 1700);
        Chromium.screenshot(base + "/dataflows", dir.resolve("console-phone.png"), 390, 844);
        Chromium.screenshot(base + "/dataflows/" + refusedUpload, dir.resolve("console-roket-run-phone.png"), 390, 2400);
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
