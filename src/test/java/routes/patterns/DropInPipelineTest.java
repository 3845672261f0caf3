package routes.patterns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * The "Done when": a YAML file that only instantiates templates, dropped into flowledger.routes.dir, is a
 * working pipeline from a WireMock HTTP source into a JDBC table (a DataSource the same file declares) — no Java.
 */
@ExtendWith(PostgresServer.class)
class DropInPipelineTest {

    @RegisterExtension
    static WireMockExtension source = WireMockServers.create();

    @TempDir
    Path routesDir;

    /** The target database: a second database of the same kind, declared as a bean in the dropped YAML. */
    record Target(String url, String user, String password, String beanYaml) {
        static Target of(TestDatabase kind) {
            if (kind == TestDatabase.H2) {
                String url = "jdbc:h2:mem:target-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
                return new Target(url, "sa", "", "- beans:\n    - name: crmDb\n      type: org.h2.jdbcx.JdbcDataSource\n"
                        + "      properties:\n        url: \"" + url + "\"\n        user: sa\n        password: \"\"\n");
            }
            String url = PostgresServer.newDatabase();
            return new Target(url, "postgres", "postgres", "- beans:\n    - name: crmDb\n      type: org.postgresql.ds.PGSimpleDataSource\n"
                    + "      properties:\n        url: \"" + url + "\"\n        user: postgres\n        password: postgres\n");
        }

        List<Map<String, Object>> rows() throws Exception {
            try (Connection c = DriverManager.getConnection(url, user, password)) {
                return Jdbc.query(c, "SELECT id, name, email FROM people ORDER BY id");
            }
        }

        void execute(String sql) throws Exception {
            try (Connection c = DriverManager.getConnection(url, user, password)) {
                c.createStatement().execute(sql);
            }
        }
    }

    static String pipelineYaml(Target target, String sourceUrl) {
        return target.beanYaml()
                + PatternsHarness.template("http-since-source", "crm-people", "dataset", "crm-people",
                        "url", sourceUrl + "/people", "sinceField", "updated", "maxChangeRatio", "1.0", "period", "3600000", "delay", "100")
                + PatternsHarness.template("jdbc-sink", "crm-people-share", "source", "crm-people", "dataSource", "crmDb",
                        "selectSql", "SELECT id, name, email FROM people WHERE id = :#id",
                        "insertSql", "INSERT INTO people (id, name, email) VALUES (:#id, :#name, :#email)",
                        "updateSql", "UPDATE people SET name = :#name, email = :#email WHERE id = :#id",
                        "deleteSql", "DELETE FROM people WHERE id = :#id",
                        "period", "3600000", "delay", "3600000");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_dropped_yaml_of_templates_syncs_an_http_source_into_a_jdbc_table_and_follows_changes(TestDatabase db) throws Exception {
        Target target = Target.of(db);
        target.execute("CREATE TABLE people (id VARCHAR(20) PRIMARY KEY, name VARCHAR(100), email VARCHAR(100))");
        source.stubFor(get(urlPathEqualTo("/people")).withQueryParam("since", absent()).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody("""
                        [{"id":"p1","name":"Ada","email":"ada@example.org","updated":"2026-11-20T10:00:00Z"},
                         {"id":"p2","name":"Bob","email":"bob@example.org","updated":"2026-11-20T11:00:00Z"},
                         {"id":"p3","name":"Cy","email":"cy@example.org","updated":"2026-11-20T09:00:00Z"}]""")));
        source.stubFor(get(urlPathEqualTo("/people")).withQueryParam("since", equalTo("2026-11-20T11:00:00Z")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody("""
                        [{"id":"p2","name":"Bob","email":"robert@example.org","updated":"2026-11-21T08:00:00Z"},
                         {"id":"p4","name":"Dee","email":"dee@example.org","updated":"2026-11-21T09:00:00Z"}]""")));

        try (PatternsHarness h = new PatternsHarness(db, routesDir)) {
            h.routes("crm.yaml", pipelineYaml(target, WireMockServers.url(source))).start();
            h.awaitFirstRun("crm-people");
            assertThat(h.live("crm-people")).containsOnlyKeys("p1", "p2", "p3");
            assertThat(h.pipe("crm-people").get("watermark")).isEqualTo("2026-11-20T11:00:00Z");

            h.run("crm-people-share");
            assertThat(target.rows()).extracting(r -> r.get("id") + ":" + r.get("email"))
                    .containsExactly("p1:ada@example.org", "p2:bob@example.org", "p3:cy@example.org");

            h.run("crm-people");
            source.verify(getRequestedFor(urlPathEqualTo("/people")).withQueryParam("since", equalTo("2026-11-20T11:00:00Z")));
            assertThat(h.pipe("crm-people").get("watermark")).isEqualTo("2026-11-21T09:00:00Z");
            h.run("crm-people-share");
            assertThat(target.rows()).extracting(r -> r.get("id") + ":" + r.get("email"))
                    .containsExactly("p1:ada@example.org", "p2:robert@example.org", "p3:cy@example.org", "p4:dee@example.org");
            assertThat(h.query("SELECT * FROM patterns_conflicts")).isEmpty();
        }
    }
}
