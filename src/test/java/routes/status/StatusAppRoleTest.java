package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/** The status pipeline with the app role of docs/production.md (no DDL rights, flowledger.db.migrate=off). */
@ExtendWith(PostgresServer.class)
class StatusAppRoleTest {

    @Test
    void the_app_role_stores_status_events_and_the_api_and_the_status_command_answer() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        Map<String, String> settings = db.asApp(StatusApiTest.settings(TestDatabase.POSTGRES, db.url));
        try (FlowledgerApp app = TestApp.start(settings)) {
            StatusApiTest.emitHalfFailedUpload(app, "flow-lp");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    StatusApiTest.get(app, "/api/dataflows/flow-lp", 200).path("recordsDone").asLong()).isEqualTo(2));
            assertThat(StatusApiTest.get(app, "/api/dataflows/flow-lp", 200).path("failures").path("items").get(0)
                    .path("message").asText()).isEqualTo("acl is not valid");
        }
        // A job command (status) with the same role.
        LeastPrivilegeDb.Result r = LeastPrivilegeDb.cli(settings, "status", "flow-lp");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1); // the dataflow is still running: not SUCCEEDED
        assertThat(r.out()).contains("flow-lp").contains("RUNNING").contains("acl is not valid");
        Number stored = (Number) db.query(LeastPrivilegeDb.OWNER,
                "SELECT COUNT(*) FROM status WHERE correlation_id = 'flow-lp'").get(0).get(0);
        assertThat(stored.longValue()).as("events stored by the app role").isGreaterThan(0);
    }
}
