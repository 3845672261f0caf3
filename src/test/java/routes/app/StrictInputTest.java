package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import routes.testkit.AzuriteServer;
import routes.testkit.S3Server;

/**
 * Every API reads its input strictly: an unknown field, null, an array, malformed JSON, a wrong type or a bad
 * query value is a 400 with a JSON body saying what is wrong (never a 500, never a guess, never a stack trace in
 * the log), an unknown pipe is a 404, and nothing runs.
 */
@ExtendWith({S3Server.class, AzuriteServer.class})
class StrictInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path routesDir;
    static FlowledgerApp app;
    static String api;
    static final String AUTH = SecureService.basic("admin", SecureService.API_PASSWORD);

    private ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void start() throws Exception {
        app = SecureService.start(routesDir);
        api = "http://127.0.0.1:" + app.httpPort();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @BeforeEach
    void captureLog() {
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
    }

    @AfterEach
    void noStackTraceWasLogged() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
        assertThat(log.list).as("a bad request logs no stack trace and no error")
                .noneMatch(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR));
    }

    private static JsonNode refused(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("error").asText()).as(r.body()).isNotBlank();
        return body;
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return SecureService.send("POST", api + path, body, AUTH);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return SecureService.send("GET", api + path, null, null);
    }

    @Test
    void replay_refuses_a_misspelt_field_instead_of_running_a_real_replay() throws Exception {
        Map<String, Long> before = SecureService.rowCounts(app);
        JsonNode e = refused(post("/api/replays", """
                {"startDate":"2026-01-01","endDate":"2026-01-01","topic":"t","prefix":"p","dryrun":true}"""), 400);
        assertThat(e.path("error").asText()).isEqualTo("unknown field 'dryrun' (did you mean dryRun?)");
        assertThat(refused(post("/api/replays", "null"), 400).path("error").asText()).contains("JSON object");
        assertThat(refused(post("/api/replays", "[]"), 400).path("error").asText()).contains("JSON object");
        assertThat(refused(post("/api/replays", "{not json"), 400).path("error").asText()).contains("malformed JSON");
        assertThat(refused(post("/api/replays", "{\"startDate\":20260101}"), 400).path("error").asText()).contains("startDate");
        assertThat(refused(post("/api/replays", "{\"dryRun\":\"yes\"}"), 400).path("error").asText()).contains("dryRun");
        assertThat(refused(post("/api/replays", "{\"topic\":\"a\"} {\"topic\":\"b\"}"), 400)).isNotNull();
        assertThat(refused(post("/api/replays", ""), 400)).isNotNull();
        assertThat(SecureService.rowCounts(app)).as("no replay run was recorded").isEqualTo(before);
    }

    @Test
    void an_oversized_or_multipart_body_is_refused_before_any_route_reads_it() throws Exception {
        Map<String, Long> before = SecureService.rowCounts(app);
        String big = "{\"startDate\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        JsonNode e = refused(post("/api/replays", big), 413);
        assertThat(e.path("error").asText()).isEqualTo("request body too large");

        java.nio.file.Path uploads = java.nio.file.Path.of("file-uploads");
        boolean existed = java.nio.file.Files.exists(uploads);
        String boundary = "----flowledger";
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\nhello\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(api + "/api/replays")).header("Authorization", AUTH)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(multipart)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(415);
        assertThat(r.body()).contains("\"error\"");
        assertThat(!existed && java.nio.file.Files.exists(uploads)).as("an upload directory was created").isFalse();
        assertThat(SecureService.rowCounts(app)).isEqualTo(before);
    }

    @Test
    void cubic_refuses_bad_table_bodies_and_bad_paging() throws Exception {
        Map<String, Long> before = SecureService.rowCounts(app);
        refused(post("/api/cubic/tables", "{not json"), 400);
        refused(post("/api/cubic/tables", "[]"), 400);
        refused(post("/api/cubic/tables", "null"), 400);
        assertThat(refused(post("/api/cubic/tables", "{\"name\":\"t1\",\"prefix\":\"t1/\",\"columns\":123}"), 400)
                .path("error").asText()).contains("columns");
        assertThat(refused(post("/api/cubic/tables", "{\"nmae\":\"t1\",\"prefix\":\"t1/\"}"), 400).path("error").asText())
                .isEqualTo("unknown field 'nmae' (did you mean name?)");
        assertThat(SecureService.rowCounts(app)).as("no table registered").isEqualTo(before);

        assertThat(refused(get("/api/cubic/loads?page=abc"), 400).path("error").asText()).contains("page");
        assertThat(refused(get("/api/cubic/loads?size=0"), 400).path("error").asText()).contains("size");
        refused(get("/api/cubic/loads?size=501"), 400);
        refused(get("/api/cubic/loads?page=-1"), 400);
        assertThat(get("/api/cubic/loads?page=0&size=10").statusCode()).isEqualTo(200);
    }

    @Test
    void status_refuses_a_failures_limit_that_is_not_a_number() throws Exception {
        assertThat(refused(get("/api/dataflows/x?failuresLimit=abc"), 400).path("error").asText()).contains("failuresLimit");
        refused(get("/api/dataflows?limit=abc"), 400);
        refused(get("/api/dataflows?since=abc"), 400);
    }

    @Test
    void patterns_refuse_bad_paging_and_answer_404_for_a_pipe_that_does_not_exist() throws Exception {
        assertThat(refused(get("/api/patterns/datasets/x?since=abc"), 400).path("error").asText()).contains("since");
        refused(get("/api/patterns/datasets/x?limit=0"), 400);
        Map<String, Long> before = SecureService.rowCounts(app);
        for (String action : new String[]{"reset", "circuit-breaker/commit", "circuit-breaker/rollback", "run"}) {
            assertThat(refused(post("/api/patterns/pipes/nope/" + action, null), 404).path("error").asText())
                    .as(action).contains("nope");
        }
        // Only a pipe may be run: any other route (here roket's daily schedule) is not a pipe.
        refused(post("/api/patterns/pipes/roket-upload-schedule/run", null), 404);
        refused(post("/api/patterns/pipes/status-deliver/run", null), 404);
        assertThat(SecureService.rowCounts(app)).isEqualTo(before);
    }

    @Test
    void roket_refuses_a_release_held_value_that_is_not_true_or_false() throws Exception {
        Map<String, Long> before = SecureService.rowCounts(app);
        assertThat(refused(post("/api/roket/uploads?date=2026-01-01&releaseHeld=maybe", null), 400).path("error").asText())
                .contains("releaseHeld");
        refused(post("/api/roket/uploads?date=abc", null), 400);
        assertThat(SecureService.rowCounts(app)).as("no upload run was created").isEqualTo(before);
    }
}
