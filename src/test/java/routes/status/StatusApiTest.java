package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/** What a person asks of a dataflow: the API, the status command and the /dataflows page in a real browser. */
@ExtendWith(PostgresServer.class)
class StatusApiTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    static Map<String, String> settings(TestDatabase database, String url) {
        return Map.of("flowledger.status.enabled", "true", "flowledger.status.transport", "direct",
                "flowledger.db.url", url, "flowledger.db.user", database.user(),
                "flowledger.db.password", database.password());
    }

    /** A dataflow of 4 records: extract done, upload half way with one failed record. */
    static void emitHalfFailedUpload(FlowledgerApp app, String id) {
        StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
        e.emit(StatusEvent.dataSetDetails(id, "orders", "3", StatusEvent.DataSetType.TABLE, 4));
        e.emit(StatusEvent.status(id, "EXTRACT", State.IN_PROGRESS, null));
        e.emit(StatusEvent.status(id, "EXTRACT", State.SUCCESS, null));
        e.emit(StatusEvent.status(id, "ROKET_UPLOAD", State.IN_PROGRESS, null));
        e.emit(StatusEvent.recordStatus(id, "o-1", "v1", "ROKET_UPLOAD", State.SUCCESS, null, null));
        e.emit(StatusEvent.recordStatus(id, "o-2", "v1", "ROKET_UPLOAD", State.FAILED, "acl is not valid", 400));
    }

    static JsonNode get(FlowledgerApp app, String path, int expectStatus) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(expectStatus);
        return JSON.readTree(r.body());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void the_api_says_where_a_dataflow_stands_with_counts_and_failure_reasons(TestDatabase database) throws Exception {
        try (FlowledgerApp app = TestApp.start(settings(database, database.newUrl()))) {
            emitHalfFailedUpload(app, "flow-a");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows/flow-a", 200).path("recordsDone").asLong()).isEqualTo(2));
            JsonNode v = get(app, "/api/dataflows/flow-a", 200);
            assertThat(v.path("finished").asBoolean()).isFalse();
            assertThat(v.path("state").asText()).isEqualTo("RUNNING");
            assertThat(v.path("stage").asText()).isEqualTo("ROKET_UPLOAD");
            assertThat(v.path("recordCount").asLong()).isEqualTo(4);
            assertThat(v.path("progress").asDouble()).isEqualTo(0.5);
            assertThat(v.path("counts").path("ROKET_UPLOAD").path("SUCCESS").asLong()).isEqualTo(1);
            assertThat(v.path("counts").path("ROKET_UPLOAD").path("FAILED").asLong()).isEqualTo(1);
            assertThat(v.path("stages").get(0).path("stage").asText()).isEqualTo("EXTRACT");
            assertThat(v.path("stages").get(0).path("status").asText()).isEqualTo("SUCCESS");
            assertThat(v.path("dataSets").get(0).path("dataSetId").asText()).isEqualTo("orders");
            assertThat(v.path("firstTimestamp").isTextual()).isTrue();
            JsonNode failure = v.path("failures").path("items").get(0);
            assertThat(failure.path("recordId").asText()).isEqualTo("o-2");
            assertThat(failure.path("stage").asText()).isEqualTo("ROKET_UPLOAD");
            assertThat(failure.path("message").asText()).isEqualTo("acl is not valid");
            assertThat(failure.path("errorCode").asInt()).isEqualTo(400);

            StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            e.emit(StatusEvent.status("flow-a", "ROKET_UPLOAD", State.SUCCESS, "done"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows/flow-a", 200).path("state").asText()).isEqualTo("FAILED"));
            assertThat(get(app, "/api/dataflows/flow-a", 200).path("finished").asBoolean()).isTrue();

            assertThat(get(app, "/api/dataflows/nobody", 404).path("error").asText()).contains("nobody");
        }
    }

    @Test
    void the_list_filters_by_state_and_dataset_and_pages_with_a_cursor() throws Exception {
        try (FlowledgerApp app = TestApp.start(settings(TestDatabase.H2, TestDatabase.H2.newUrl()))) {
            StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            for (int i = 0; i < 5; i++) {
                e.emit(StatusEvent.dataSetDetails("ok-" + i, i % 2 == 0 ? "even" : "odd", "1", StatusEvent.DataSetType.FILE, 1));
                e.emit(StatusEvent.status("ok-" + i, "INGEST", State.SUCCESS, null));
            }
            e.emit(StatusEvent.status("bad-1", "INGEST", State.FAILED, "disk full"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows?limit=100", 200).path("items").size()).isEqualTo(6));

            JsonNode failed = get(app, "/api/dataflows?state=FAILED", 200);
            assertThat(failed.path("items").size()).isEqualTo(1);
            assertThat(failed.path("items").get(0).path("correlationId").asText()).isEqualTo("bad-1");
            assertThat(failed.path("items").get(0).path("lastFailure").path("message").asText()).isEqualTo("disk full");
            assertThat(get(app, "/api/dataflows?dataSetId=even", 200).path("items").size()).isEqualTo(3);
            assertThat(get(app, "/api/dataflows?since=2999-01-01", 200).path("items").size()).isZero();

            List<String> seen = new ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = get(app, "/api/dataflows?state=SUCCEEDED&limit=2" + (cursor == null ? "" : "&cursor=" + cursor), 200);
                page.path("items").forEach(i -> seen.add(i.path("correlationId").asText()));
                cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
            } while (cursor != null);
            assertThat(seen).containsExactlyInAnyOrder("ok-0", "ok-1", "ok-2", "ok-3", "ok-4");

            assertThat(get(app, "/api/dataflows?state=DONE", 400).path("error").asText()).contains("state must be");
            assertThat(get(app, "/api/dataflows?limit=0", 400).path("error").asText()).contains("limit");
            assertThat(get(app, "/api/dataflows?cursor=zzz", 400).path("error").asText()).contains("cursor");
        }
    }

    @Test
    void the_list_filters_by_pipeline_stage_text_and_date_range_and_says_which_pipeline_and_whether_stalled()
            throws Exception {
        try (FlowledgerApp app = TestApp.start(settings(TestDatabase.H2, TestDatabase.H2.newUrl()))) {
            StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            e.emit(StatusEvent.dataSetDetails("run-a", "roket-upload/2026-11-20", "1", StatusEvent.DataSetType.TABLE, 2));
            e.emit(StatusEvent.status("run-a", "ROKET_UPLOAD", State.IN_PROGRESS, null));
            e.emit(StatusEvent.status("cubic-load-9", "CUBIC_INGEST", State.IN_PROGRESS, null));
            e.emit(StatusEvent.status("replay-1", "REPLAY", State.IN_PROGRESS, null));
            e.emit(StatusEvent.status("pipe-run-1", "PATTERNS:orders", State.SUCCESS, null));
            java.time.Instant old = java.time.Instant.parse("2026-01-05T10:00:00Z");
            e.emit(new StatusEvent(StatusEvent.STATUS, new StatusEvent.Props("ev-old", "old_flow%", null, null, null, null,
                    null, null, "EXPORT", "IN_PROGRESS", null, null, old)));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows", 200).path("items").size()).isEqualTo(5));

            assertThat(ids(get(app, "/api/dataflows?pipeline=roket-upload", 200))).containsExactly("run-a");
            assertThat(ids(get(app, "/api/dataflows?pipeline=cubic-ingestion", 200))).containsExactly("cubic-load-9");
            assertThat(ids(get(app, "/api/dataflows?pipeline=replay", 200))).containsExactly("replay-1");
            assertThat(ids(get(app, "/api/dataflows?pipeline=patterns", 200))).containsExactly("pipe-run-1");
            assertThat(ids(get(app, "/api/dataflows?pipeline=other", 200))).containsExactly("old_flow%");
            assertThat(ids(get(app, "/api/dataflows?stage=REPLAY", 200))).containsExactly("replay-1");
            assertThat(ids(get(app, "/api/dataflows?q=2026-11-20", 200))).containsExactly("run-a");
            assertThat(ids(get(app, "/api/dataflows?q=CUBIC", 200))).containsExactly("cubic-load-9");
            assertThat(ids(get(app, "/api/dataflows?q=w%25", 200))).containsExactly("old_flow%");
            assertThat(ids(get(app, "/api/dataflows?q=o%25w", 200))).isEmpty(); // % is literal
            assertThat(ids(get(app, "/api/dataflows?q=o_d", 200))).isEmpty(); // _ is literal too (no match for "old")
            assertThat(ids(get(app, "/api/dataflows?since=2026-01-05&until=2026-01-05", 200))).containsExactly("old_flow%");
            assertThat(ids(get(app, "/api/dataflows?until=2026-01-04", 200))).isEmpty();

            JsonNode silent = get(app, "/api/dataflows?pipeline=other", 200).path("items").get(0);
            assertThat(silent.path("pipeline").asText()).isEqualTo("other");
            assertThat(silent.path("stalled").asBoolean()).isTrue();
            assertThat(silent.path("durationMs").asLong()).isGreaterThan(0);
            JsonNode upload = get(app, "/api/dataflows/run-a", 200);
            assertThat(upload.path("stalled").asBoolean()).isFalse();
            assertThat(upload.path("dataSetId").asText()).isEqualTo("roket-upload/2026-11-20");
            assertThat(upload.path("heartbeatSeconds").asLong()).isEqualTo(60); // flowledger.roket.lock-timeout

            assertThat(get(app, "/api/dataflows?pipeline=kafka", 400).path("error").asText()).contains("pipeline must be");
            assertThat(get(app, "/api/dataflows?until=yesterday", 400).path("error").asText()).contains("until");
        }
    }

    static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("items").forEach(i -> ids.add(i.path("correlationId").asText()));
        return ids;
    }

    @Test
    void failures_are_paged_and_filtered_by_stage() throws Exception {
        try (FlowledgerApp app = TestApp.start(settings(TestDatabase.H2, TestDatabase.H2.newUrl()))) {
            StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            for (int i = 0; i < 7; i++) {
                e.emit(StatusEvent.recordStatus("f-flow", "r" + i, null, i < 5 ? "PARSE" : "LOAD", State.FAILED,
                        "bad value in column " + i, 422));
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows/f-flow", 200).path("recordsFailed").asLong()).isEqualTo(7));
            List<String> ids = new ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = get(app, "/api/dataflows/f-flow/failures?stage=PARSE&limit=2"
                        + (cursor == null ? "" : "&cursor=" + cursor), 200);
                page.path("items").forEach(i -> {
                    assertThat(i.path("stage").asText()).isEqualTo("PARSE");
                    ids.add(i.path("recordId").asText());
                });
                cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
            } while (cursor != null);
            assertThat(ids).containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4");
            assertThat(get(app, "/api/dataflows/f-flow/failures?stage=LOAD", 200).path("items").size()).isEqualTo(2);
        }
    }

    @Test
    void the_status_command_prints_the_same_view_and_exits_by_state() throws Exception {
        String url = TestDatabase.H2.newUrl();
        try (FlowledgerApp app = TestApp.start(settings(TestDatabase.H2, url))) {
            emitHalfFailedUpload(app, "cmd-flow");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows/cmd-flow", 200).path("recordsDone").asLong()).isEqualTo(2));
        }
        String oldUrl = System.getProperty("flowledger.db.url");
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setProperty("flowledger.db.url", url);
        int code;
        int unknown;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = FlowledgerCli.execute("status", "cmd-flow");
            unknown = FlowledgerCli.execute("status", "no-such-flow");
        } finally {
            System.setOut(oldOut);
            if (oldUrl == null) {
                System.clearProperty("flowledger.db.url");
            } else {
                System.setProperty("flowledger.db.url", oldUrl);
            }
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as("still running").isEqualTo(FlowledgerCli.FAILED);
        assertThat(unknown).isEqualTo(FlowledgerCli.FAILED);
        assertThat(text).contains("dataflow   cmd-flow", "state      RUNNING (not finished)", "stage      ROKET_UPLOAD",
                "records    2 done of 4 (50%), 1 failed", "dataset    orders version 3 TABLE, 4 records",
                "ROKET_UPLOAD", "record o-2  code 400  acl is not valid");
    }

    @Test
    void the_dataflows_page_shows_state_stage_progress_and_the_failure_reason_in_a_real_browser() throws Exception {
        String chromium = chromium();
        try (FlowledgerApp app = TestApp.start(settings(TestDatabase.H2, TestDatabase.H2.newUrl()))) {
            emitHalfFailedUpload(app, "page-flow");
            StatusEmitter e = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            e.emit(StatusEvent.status("page-ok", "INGEST", State.SUCCESS, null));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows", 200).path("items").size()).isEqualTo(2));

            String dom = dumpDom(chromium, "http://127.0.0.1:" + app.httpPort() + "/dataflows");
            String row = rowOf(dom, "page-flow");
            assertThat(row).contains("RUNNING").contains(">ROKET_UPLOAD<").contains("2 / 4 (50%)")
                    .contains("aria-valuenow=\"50\"").contains("ROKET_UPLOAD: acl is not valid (400)");
            assertThat(rowOf(dom, "page-ok")).contains("SUCCEEDED").contains(">INGEST<");
            assertThat(dom).contains("2 dataflow(s), updated");

            // the page refreshes itself: the upload finishes and the next load shows it
            e.emit(StatusEvent.recordStatus("page-flow", "o-3", null, "ROKET_UPLOAD", State.SUCCESS, null, null));
            e.emit(StatusEvent.recordStatus("page-flow", "o-4", null, "ROKET_UPLOAD", State.SUCCESS, null, null));
            e.emit(StatusEvent.status("page-flow", "ROKET_UPLOAD", State.SUCCESS, null));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(app, "/api/dataflows/page-flow", 200).path("state").asText()).isEqualTo("FAILED"));
            assertThat(rowOf(dumpDom(chromium, "http://127.0.0.1:" + app.httpPort() + "/dataflows"), "page-flow"))
                    .contains("FAILED").contains("4 / 4 (100%)").contains("1 failed");
        }
    }

    static String rowOf(String dom, String correlationId) {
        int i = dom.indexOf("data-correlation-id=\"" + correlationId + "\"");
        assertThat(i).as("row of " + correlationId + " in\n" + dom).isGreaterThan(0);
        return dom.substring(i, dom.indexOf("</tr>", i));
    }

    static String chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (new java.io.File(c).canExecute()) {
                return c;
            }
        }
        throw new IllegalStateException("No headless Chromium: install Debian's chromium package (listed in .ci/apt-packages)");
    }

    static String dumpDom(String chromium, String url) throws Exception {
        java.nio.file.Path profile = java.nio.file.Files.createTempDirectory("chromium-");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] dom = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(dom, StandardCharsets.UTF_8);
    }
}
