package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** roket-upload with the app role of docs/production.md (no DDL rights, flowledger.db.migrate=off). */
@ExtendWith(PostgresServer.class)
class RoketAppRoleTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    @Test
    void the_app_role_uploads_from_the_service_and_from_the_upload_job_each_record_once() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        RoketFixture f = new RoketFixture(TestDatabase.POSTGRES).rows(RoketFixture.DATE, 0, 120)
                .rows("2026-11-21", 500, 530);
        roket.stubFor(post(urlPathEqualTo("/api/records")).withHeader("Authorization", equalTo("Bearer " + RoketFixture.TOKEN))
                .willReturn(aResponse().withStatus(201).withBody("{\"stored\":true}")));
        try (FlowledgerApp app = RoketFixture.start(db.asApp(f.settings(roket)))) {
            RoketRun.Summary first = RoketFixture.uploads(app).upload(RoketFixture.DATE, "test", false);
            assertThat(first.succeeded()).as(first.format()).isTrue();
            assertThat(first.delivered()).isEqualTo(120);
            RoketRun.Summary again = RoketFixture.uploads(app).upload(RoketFixture.DATE, "test", false);
            assertThat(again.skipped()).isEqualTo(120);
            assertThat(again.sent()).isZero();
        }
        assertThat(db.query(LeastPrivilegeDb.APP, "SELECT state FROM roket_batch ORDER BY 1"))
                .hasSize(2).allMatch(r -> r.get(0).equals("DELIVERED"));

        // The one-off job command, as a user runs it, with the same role.
        LeastPrivilegeDb.Result job = LeastPrivilegeDb.cli(db.asApp(f.settings(roket)), "upload", "--date", "2026-11-21");
        assertThat(job.exitCode()).as(job.err()).isZero();
        java.util.List<String> all = new java.util.ArrayList<>(RoketFixture.ids(0, 120));
        all.addAll(RoketFixture.ids(500, 530));
        assertThat(RoketFixture.stored(roket)).containsOnlyKeys(all);
        assertThat(RoketFixture.stored(roket).values()).containsOnly(1);
    }
}
