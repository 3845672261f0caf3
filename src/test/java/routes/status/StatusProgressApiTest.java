package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static routes.status.StatusApiTest.get;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * Through the running service: the API, the list and the status command count records from recordCount, and a
 * retried cubic load is SUCCEEDED with its earlier failure listed.
 */
@ExtendWith(PostgresServer.class)
class StatusProgressApiTest {

    static StatusEmitter emitter(FlowledgerApp app) {
        return app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void the_api_list_and_command_show_300000_of_300000_records_and_2_failed_for_3000_batch_events(TestDatabase database)
            throws Exception {
        String url = database.newUrl();
        try (FlowledgerApp app = TestApp.start(StatusApiTest.settings(database, url))) {
            StatusEmitter e = emitter(app);
            StatusRecordCountTest.uploadOf300000RowsWithTwoRefused("big-run").forEach(e::emit);
            JsonNode v = TestApp.awaitFinishedDataflow(app, "big-run");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    get(app, "/api/dataflows/big-run", 200).path("recordsDone").asLong()).isEqualTo(300_000));
            v = get(app, "/api/dataflows/big-run", 200);
            assertThat(v.path("state").asText()).isEqualTo("FAILED");
            assertThat(v.path("recordsTotal").asLong()).isEqualTo(300_000);
            assertThat(v.path("recordsFailed").asLong()).isEqualTo(2);
            assertThat(v.path("progress").asDouble()).isEqualTo(1.0);
            assertThat(v.path("durationMs").asLong()).isEqualTo(12_000);
            assertThat(v.path("counts").path("ROKET_UPLOAD").path("SUCCESS").asLong()).isEqualTo(299_998);

            JsonNode item = get(app, "/api/dataflows?dataSetId=roket-upload/2026-11-20", 200).path("items").get(0);
            assertThat(item.path("correlationId").asText()).isEqualTo("big-run");
            assertThat(item.path("recordsDone").asLong()).isEqualTo(300_000);
            assertThat(item.path("recordsFailed").asLong()).isEqualTo(2);
            assertThat(item.path("recordsTotal").asLong()).isEqualTo(300_000);
        }
        assertThat(statusCommand(database, url, "big-run")).contains("records    300000 done of 300000 (100%), 2 failed",
                "record s-00042  code 422  invalid amount");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_cubic_load_that_errored_was_retried_and_archived_is_succeeded_with_its_earlier_failure_listed(
            TestDatabase database) throws Exception {
        String url = database.newUrl();
        try (FlowledgerApp app = TestApp.start(StatusApiTest.settings(database, url))) {
            StatusEmitter e = emitter(app);
            var events = StatusRecordCountTest.cubicLoadErroredRetriedArchived("cubic-load-42");
            events.subList(0, 6).forEach(e::emit);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    get(app, "/api/dataflows/cubic-load-42", 200).path("state").asText()).isEqualTo("FAILED"));

            events.subList(6, events.size()).forEach(e::emit);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    get(app, "/api/dataflows/cubic-load-42", 200).path("state").asText()).isEqualTo("SUCCEEDED"));
            JsonNode v = get(app, "/api/dataflows/cubic-load-42", 200);
            assertThat(v.path("finished").asBoolean()).isTrue();
            assertThat(v.path("retried").asBoolean()).isTrue();
            assertThat(v.path("stage").asText()).isEqualTo("CUBIC_ARCHIVE");
            assertThat(v.path("failures").path("items").get(0).path("message").asText()).isEqualTo("corrupt gzip");
            assertThat(v.path("lastFailure").path("message").asText()).isEqualTo("errored: corrupt gzip");
            assertThat(get(app, "/api/dataflows?state=SUCCEEDED", 200).path("items").get(0).path("correlationId")
                    .asText()).isEqualTo("cubic-load-42");
            assertThat(get(app, "/api/dataflows?state=FAILED", 200).path("items")).isEmpty();
        }
        assertThat(statusCommand(database, url, "cubic-load-42")).contains(
                "state      SUCCEEDED (finished), after a retry (the earlier failure is listed below)",
                "CUBIC_INGEST  record cubic/dmap/agg_sample/20261120.csv  code -  corrupt gzip");
    }

    static String statusCommand(TestDatabase database, String url, String id) {
        Map<String, String> props = Map.of("flowledger.db.url", url, "flowledger.db.user", database.user(),
                "flowledger.db.password", database.password());
        Map<String, String> old = new java.util.HashMap<>();
        props.keySet().forEach(k -> old.put(k, System.getProperty(k)));
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        props.forEach(System::setProperty);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            FlowledgerCli.execute("status", id);
        } finally {
            System.setOut(oldOut);
            old.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
