package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** A patterns route template with the app role of docs/production.md (no DDL rights, flowledger.db.migrate=off). */
@ExtendWith(PostgresServer.class)
class PatternsAppRoleTest {

    @RegisterExtension
    static WireMockExtension source = WireMockServers.create();

    @TempDir
    Path routesDir;

    @Test
    void the_app_role_runs_a_template_and_keeps_its_dataset() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        source.stubFor(get(urlPathEqualTo("/stock")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody("[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":2}]")));
        try (PatternsHarness h = new PatternsHarness(TestDatabase.POSTGRES, routesDir)) {
            h.routes("stock.yaml", PatternsHarness.template("http-rescan-source", "stock-rescan", "dataset", "stock",
                    "url", WireMockServers.url(source) + "/stock", "period", "3600000", "delay", "100"));
            h.start(db.appSettings());
            // The harness reads its own database; this one is the app role's.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> !db.query(
                    LeastPrivilegeDb.APP, "SELECT runs FROM patterns_pipes WHERE pipe = 'stock-rescan' AND runs >= 1").isEmpty()
                    && h.app.camelContext().getInflightRepository().size() == 0);
        }
        assertThat(db.query(LeastPrivilegeDb.APP, "SELECT entity_id FROM patterns_entities WHERE dataset = 'stock'"
                + " AND deleted = FALSE ORDER BY entity_id")).containsExactly(List.of("a"), List.of("b"));
    }
}
