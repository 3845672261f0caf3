package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.common.MetadataDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * The management login is least privilege: through real Jolokia HTTP requests it reads and controls route
 * lifecycles, and nothing else (no endpoint calls, no tracing, no attribute writes). No unauthenticated answer
 * carries credentials or who runs the process, and the ports bind where configured.
 */
@ExtendWith(PostgresServer.class)
class ManagementSecurityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_PW = "api-pw-Z1y2-secret";
    private static final String MGMT_PW = "mgmt-pw-X3w4-secret";
    private static final String DB_PW = "db-pw-V5u6-secret";
    private static final String CONTEXT_MBEAN = "org.apache.camel:context=flowledger,type=context,name=\\\"flowledger\\\"";
    private static final String ROUTE_MBEAN = "org.apache.camel:context=flowledger,type=routes,name=\\\"api-info\\\"";

    private static FlowledgerApp start() throws Exception {
        return TestApp.start(Map.of("flowledger.api.password", API_PW, "flowledger.management.password", MGMT_PW,
                "flowledger.db.url", TestDatabase.H2.newUrl(), "flowledger.db.password", DB_PW));
    }

    private static HttpResponse<String> jolokia(FlowledgerApp app, String json) throws Exception {
        return SecureService.send("POST", "http://127.0.0.1:" + app.managementPort() + FlowledgerApp.JOLOKIA_PATH, json,
                SecureService.basic("admin", MGMT_PW));
    }

    private static void assertNoSecret(String text) {
        assertThat(text).doesNotContain(API_PW).doesNotContain(MGMT_PW).doesNotContain(DB_PW);
    }

    @Test
    void jolokia_refuses_running_an_endpoint_through_the_camel_context_so_no_secret_leaves_and_no_sql_runs() throws Exception {
        try (FlowledgerApp app = start()) {
            for (String op : new String[]{"requestBody(java.lang.String,java.lang.Object)", "sendBody(java.lang.String,java.lang.Object)"}) {
                HttpResponse<String> r = jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + CONTEXT_MBEAN + "\",\"operation\":\""
                        + op + "\",\"arguments\":[\"sql:SELECT '{{flowledger.api.password}}' || '{{flowledger.management.password}}'"
                        + " || '{{flowledger.db.password}}' AS p?dataSource=#dataSource\",\"\"]}");
                assertThat(r.body()).as(op).contains("\"status\":403");
                assertNoSecret(r.body());
            }
            HttpResponse<String> ddl = jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + CONTEXT_MBEAN + "\",\"operation\":"
                    + "\"requestBody(java.lang.String,java.lang.Object)\",\"arguments\":[\"sql:CREATE TABLE pwned (x INT)"
                    + "?dataSource=#dataSource\",\"\"]}");
            assertThat(ddl.body()).contains("\"status\":403");
            assertThat(SecureService.rowCounts(app)).doesNotContainKey("pwned");
        }
    }

    @Test
    void jolokia_refuses_tracing_debugging_route_updates_and_attribute_writes() throws Exception {
        try (FlowledgerApp app = start()) {
            assertThat(jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + CONTEXT_MBEAN + "\",\"operation\":\"setTracing\","
                    + "\"arguments\":[true]}").body()).contains("\"status\":403");
            assertThat(jolokia(app, "{\"type\":\"write\",\"mbean\":\"" + CONTEXT_MBEAN + "\",\"attribute\":\"Tracing\","
                    + "\"value\":true}").body()).contains("\"status\":403");
            assertThat(app.camelContext().isTracing()).isFalse();
            assertThat(jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + ROUTE_MBEAN + "\",\"operation\":\"updateRouteFromXml\","
                    + "\"arguments\":[\"<route/>\"]}").body()).contains("\"status\":403");
            assertThat(jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + ROUTE_MBEAN + "\",\"operation\":\"dumpRouteAsXml(boolean)\","
                    + "\"arguments\":[true]}").body()).contains("\"status\":403");
            assertThat(jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + CONTEXT_MBEAN + "\",\"operation\":\"stop()\"}").body())
                    .as("the context is not a route: stopping it is refused").contains("\"status\":403");
            assertThat(jolokia(app, "{\"type\":\"exec\",\"mbean\":\"java.lang:type=Memory\",\"operation\":\"gc()\"}").body())
                    .contains("\"status\":403");
            assertThat(app.camelContext().getStatus()).isEqualTo(ServiceStatus.Started);
        }
    }

    @Test
    void jolokia_still_suspends_resumes_stops_and_starts_a_route() throws Exception {
        try (FlowledgerApp app = start()) {
            for (String[] step : new String[][]{{"suspend()", "Suspended"}, {"resume()", "Started"}, {"stop()", "Stopped"},
                    {"start()", "Started"}, {"restart()", "Started"}}) {
                HttpResponse<String> r = jolokia(app, "{\"type\":\"exec\",\"mbean\":\"" + ROUTE_MBEAN + "\",\"operation\":\""
                        + step[0] + "\"}");
                assertThat(r.body()).as(step[0]).contains("\"status\":200");
                assertThat(app.camelContext().getRouteController().getRouteStatus("api-info").name()).isEqualTo(step[1]);
            }
        }
    }

    @Test
    void everything_jolokia_lets_the_operator_read_holds_no_configured_secret() throws Exception {
        try (FlowledgerApp app = start()) {
            // Every MBean read on its own: one attribute Jolokia cannot serialise (a JVM gauge that is NaN for a
            // moment) fails only that MBean's read, not the whole sweep.
            HttpResponse<String> names = jolokia(app, "{\"type\":\"search\",\"mbean\":\"*:*\"}");
            assertThat(names.body()).contains("\"status\":200");
            JsonNode found = new ObjectMapper().readTree(names.body()).path("value");
            assertThat(found.size()).isGreaterThan(10);
            int read = 0;
            StringBuilder all = new StringBuilder();
            for (JsonNode name : found) {
                HttpResponse<String> r = jolokia(app, "{\"type\":\"read\",\"mbean\":"
                        + new ObjectMapper().writeValueAsString(name.asText()) + ",\"config\":{\"ignoreErrors\":true}}");
                assertNoSecret(r.body());
                if (r.body().contains("\"status\":200")) {
                    read++;
                    all.append(r.body());
                }
            }
            assertThat(read).as("MBeans read").isGreaterThan(found.size() * 9 / 10);
            assertThat(all).contains("api-info");
            HttpResponse<String> list = jolokia(app, "{\"type\":\"list\"}");
            assertThat(list.body()).contains("\"status\":200");
            assertNoSecret(list.body());
        }
    }

    @Test
    void observe_info_hands_out_no_user_home_folder_or_pid_without_a_login() throws Exception {
        try (FlowledgerApp app = start()) {
            String mgmt = "http://127.0.0.1:" + app.managementPort();
            HttpResponse<String> info = SecureService.send("GET", mgmt + "/observe/info", null, null);
            assertThat(info.statusCode()).isEqualTo(404);
            assertThat(info.body()).doesNotContain(System.getProperty("user.home"))
                    .doesNotContain(String.valueOf(ProcessHandle.current().pid()));
            // The health answer anyone may read names the ledger without its credentials.
            HttpResponse<String> health = SecureService.send("GET", mgmt + "/observe/health?exposureLevel=full", null, null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertNoSecret(health.body());
        }
    }

    @Test
    void api_info_shows_the_metadata_db_url_without_its_credentials() throws Exception {
        String url = TestDatabase.POSTGRES.newUrl();
        String withCredentials = url + "?user=postgres&password=postgres&ApplicationName=flowledger";
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.db.url", withCredentials,
                "flowledger.db.user", "postgres", "flowledger.db.password", "postgres"))) {
            HttpResponse<String> r = SecureService.send("GET", "http://127.0.0.1:" + app.httpPort() + "/api/info", null, null);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode info = JSON.readTree(r.body());
            assertThat(info.path("metadataDb").asText())
                    .isEqualTo(url + "?user=****&password=****&ApplicationName=flowledger");
        }
    }

    @Test
    void a_jdbc_url_is_shown_without_user_password_or_user_info_in_any_spelling() {
        assertThat(MetadataDb.redactUrl("jdbc:postgresql://db:5432/fl?user=bob&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/fl?user=****&password=****&ssl=true");
        assertThat(MetadataDb.redactUrl("jdbc:h2:file:./data/x;MODE=PostgreSQL;USER=bob;PASSWORD=s3cret;AUTO_SERVER=TRUE"))
                .isEqualTo("jdbc:h2:file:./data/x;MODE=PostgreSQL;USER=****;PASSWORD=****;AUTO_SERVER=TRUE");
        assertThat(MetadataDb.redactUrl("jdbc:postgresql://bob:s3cret@db:5432/fl")).isEqualTo("jdbc:postgresql://****@db:5432/fl");
        assertThat(MetadataDb.redactUrl("jdbc:postgresql://db/fl?sslpassword=s3cret&pwd=s3cret&username=bob"))
                .doesNotContain("s3cret").doesNotContain("bob");
        assertThat(MetadataDb.redactUrl("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1;MODE=PostgreSQL"))
                .isEqualTo("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1;MODE=PostgreSQL");
    }

    @Test
    void the_api_and_management_ports_listen_only_on_the_configured_interface() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.http.host", "127.0.0.1",
                "flowledger.management.host", "127.0.0.1"))) {
            for (int port : new int[]{app.httpPort(), app.managementPort()}) {
                assertThat(connects("127.0.0.1", port)).isTrue();
                assertThat(connects("127.0.0.2", port)).as("another loopback address: not listened on").isFalse();
            }
        }
    }

    @Test
    void a_listen_address_that_is_not_an_address_is_refused_at_start_naming_the_key() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupChecks.validate(TestApp.config(
                        Map.of("flowledger.management.host", "every interface"))))
                .hasMessageContaining("flowledger.management.host");
    }

    private static boolean connects(String host, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return true;
        } catch (ConnectException e) {
            return false;
        }
    }
}
