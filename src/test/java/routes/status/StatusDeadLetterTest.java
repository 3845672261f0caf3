package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * A status event is never dropped: with the store failing, events are kept in the dead-letter, counted in
 * flowledger_status_undelivered_total and the status health check is DOWN; once the store works again they are
 * replayed, nothing is lost and health is UP.
 */
@ExtendWith(PostgresServer.class)
class StatusDeadLetterTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> management(FlowledgerApp app, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.managementPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status health check's verdict, from /observe/health. */
    static String statusHealth(FlowledgerApp app) throws Exception {
        String body = management(app, "/observe/health?exposureLevel=full").body();
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"status\"\\s*,\\s*\"status\"\\s*:\\s*\"(UP|DOWN|UNKNOWN)\"")
                .matcher(body);
        return m.find() ? m.group(1) : "missing in " + body;
    }

    static double undeliveredTotal(FlowledgerApp app) throws Exception {
        String metrics = management(app, "/observe/metrics").body();
        Matcher m = Pattern.compile("(?m)^flowledger_status_undelivered_total\\{[^}]*\\} ([0-9.E]+)$").matcher(metrics);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    static long pending(FlowledgerApp app) throws Exception {
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM status_dead_letter")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void sql(FlowledgerApp app, String sql) throws Exception {
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void with_the_store_failing_events_are_kept_counted_and_health_is_down_then_replayed_with_nothing_lost(
            TestDatabase database) throws Exception {
        Map<String, String> settings = new java.util.HashMap<>(StatusApiTest.settings(database, database.newUrl()));
        settings.put("flowledger.status.check-interval", "500");
        try (FlowledgerApp app = TestApp.start(settings)) {
            StatusEmitter e = app.statusEmitter();
            e.emit(StatusEvent.dataSetDetails("dl-flow", "orders", "1", StatusEvent.DataSetType.TABLE, 300));
            e.emit(StatusEvent.status("dl-flow", "UPLOAD", State.IN_PROGRESS, null));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(StatusApiTest.get(app, "/api/dataflows/dl-flow", 200).path("state").asText())
                            .isEqualTo("RUNNING"));
            assertThat(statusHealth(app)).isEqualTo("UP");
            assertThat(undeliveredTotal(app)).isZero();

            sql(app, "ALTER TABLE status RENAME TO status_away"); // the status store fails
            for (int b = 0; b < 3; b++) {
                e.emit(StatusEvent.recordsStatus("dl-flow", "batch/" + b, null, "UPLOAD", State.SUCCESS, null, null, 100));
            }
            e.emit(StatusEvent.status("dl-flow", "UPLOAD", State.SUCCESS, "300 sent"));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pending(app)).isEqualTo(4));
            assertThat(undeliveredTotal(app)).isEqualTo(4.0);
            assertThat(statusHealth(app)).isEqualTo("DOWN");
            assertThat(management(app, "/observe/health").statusCode()).isEqualTo(503);
            Thread.sleep(1500); // replays keep failing meanwhile: nothing is dropped
            assertThat(pending(app)).isEqualTo(4);

            sql(app, "ALTER TABLE status_away RENAME TO status"); // the store works again
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(StatusApiTest.get(app, "/api/dataflows/dl-flow", 200).path("state").asText())
                            .isEqualTo("SUCCEEDED"));
            assertThat(StatusApiTest.get(app, "/api/dataflows/dl-flow", 200).path("recordsDone").asLong()).isEqualTo(300);
            assertThat(pending(app)).isZero();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(statusHealth(app)).isEqualTo("UP"));
        }
    }
}
