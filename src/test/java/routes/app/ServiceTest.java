package routes.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.TestApp;

/** The running service as an operator meets it: health, metrics, Jolokia route control, drop-in routes. */
class ServiceTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path routesDir;

    static HttpResponse<String> get(String url, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (user != null) {
            b.header("Authorization", basic(user, password));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postJson(String url, String json, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (user != null) {
            b.header("Authorization", basic(user, password));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void health_is_up_with_the_metadata_db_and_metrics_count_per_route() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of())) {
            String mgmt = "http://127.0.0.1:" + app.managementPort();
            HttpResponse<String> health = get(mgmt + "/observe/health?exposureLevel=full", null, null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"").contains("metadata-db");

            assertThat(get("http://127.0.0.1:" + app.httpPort() + "/api/info", null, null).body())
                    .contains("\"name\":\"flowledger\"").contains("\"roket-upload\":false");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    get(mgmt + "/observe/metrics", null, null).body())
                    .contains("camel_exchanges_total").contains("routeId=\"api-info\""));
        }
    }

    @Test
    void jolokia_stops_and_starts_a_route_for_an_authenticated_operator() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.management.password", "op-secret-1"))) {
            String jolokia = "http://127.0.0.1:" + app.managementPort() + FlowledgerApp.JOLOKIA_PATH;
            String mbean = "org.apache.camel:context=flowledger,type=routes,name=\\\"api-info\\\"";

            assertThat(postJson(jolokia, "{\"type\":\"exec\",\"mbean\":\"" + mbean + "\",\"operation\":\"stop()\"}", null, null)
                    .statusCode()).isEqualTo(401);
            assertThat(postJson(jolokia, "{\"type\":\"exec\",\"mbean\":\"" + mbean + "\",\"operation\":\"stop()\"}",
                    "admin", "wrong").statusCode()).isEqualTo(401);
            assertThat(app.camelContext().getRouteController().getRouteStatus("api-info")).isEqualTo(ServiceStatus.Started);

            HttpResponse<String> stop = postJson(jolokia,
                    "{\"type\":\"exec\",\"mbean\":\"" + mbean + "\",\"operation\":\"stop()\"}", "admin", "op-secret-1");
            assertThat(stop.body()).contains("\"status\":200");
            assertThat(app.camelContext().getRouteController().getRouteStatus("api-info")).isEqualTo(ServiceStatus.Stopped);
            assertThat(get("http://127.0.0.1:" + app.httpPort() + "/api/info", null, null).statusCode()).isEqualTo(404);
            String mgmt = "http://127.0.0.1:" + app.managementPort() + "/observe/health";
            assertThat(get(mgmt + "/ready", null, null).statusCode()).as("readiness: a stopped route").isEqualTo(503);
            assertThat(get(mgmt + "/live", null, null).statusCode()).as("liveness: the process is fine").isEqualTo(200);

            HttpResponse<String> start = postJson(jolokia,
                    "{\"type\":\"exec\",\"mbean\":\"" + mbean + "\",\"operation\":\"start()\"}", "admin", "op-secret-1");
            assertThat(start.body()).contains("\"status\":200");
            assertThat(app.camelContext().getRouteController().getRouteStatus("api-info")).isEqualTo(ServiceStatus.Started);
            assertThat(get("http://127.0.0.1:" + app.httpPort() + "/api/info", null, null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void jolokia_policy_refuses_the_jvm_diagnostic_mbeans_and_attribute_writes() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.management.password", "op-secret-1"))) {
            String jolokia = "http://127.0.0.1:" + app.managementPort() + FlowledgerApp.JOLOKIA_PATH;
            HttpResponse<String> dump = postJson(jolokia, "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\","
                    + "\"operation\":\"dumpHeap\",\"arguments\":[\"/tmp/x.hprof\",true]}", "admin", "op-secret-1");
            assertThat(dump.body()).contains("\"status\":403");
            HttpResponse<String> write = postJson(jolokia, "{\"type\":\"write\",\"mbean\":\"java.lang:type=Memory\","
                    + "\"attribute\":\"Verbose\",\"value\":true}", "admin", "op-secret-1");
            assertThat(write.body()).contains("\"status\":403");
            HttpResponse<String> props = get(jolokia + "/read/java.lang:type=Runtime/SystemProperties", "admin", "op-secret-1");
            assertThat(props.body()).contains("\"status\":403");
        }
    }

    @Test
    void without_a_management_password_jolokia_is_not_served() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of())) {
            HttpResponse<String> r = get("http://127.0.0.1:" + app.managementPort() + FlowledgerApp.JOLOKIA_PATH + "/version",
                    "admin", "");
            assertThat(r.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void a_yaml_file_dropped_in_the_routes_dir_runs_and_a_new_one_is_picked_up_on_reload() throws Exception {
        Files.writeString(routesDir.resolve("hello.yaml"), route("hello", "/api/hello", "hi"));
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.routes.dir", routesDir.toString(),
                "flowledger.routes.reload", "true"))) {
            String api = "http://127.0.0.1:" + app.httpPort();
            assertThat(get(api + "/api/hello", null, null).body()).isEqualTo("hi");

            Files.writeString(routesDir.resolve("later.yaml"), route("later", "/api/later", "added while running"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(app.camelContext().getRoute("later")).isNotNull());
            assertThat(app.camelContext().getRoute("api-info")).as("built-in routes keep running").isNotNull();
            assertThat(app.camelContext().getRoute("hello")).isNotNull();
        }
    }

    @Test
    void control_endpoints_refuse_callers_without_the_api_credentials() throws Exception {
        Files.writeString(routesDir.resolve("control.yaml"), """
                - route:
                    id: control-test
                    from:
                      uri: "platform-http:/api/control-test"
                      parameters: {httpMethodRestrict: POST}
                      steps:
                        - process: {ref: apiAuth}
                        - setBody: {constant: "started"}
                """);
        try (FlowledgerApp open = TestApp.start(Map.of("flowledger.routes.dir", routesDir.toString()))) {
            String url = "http://127.0.0.1:" + open.httpPort() + "/api/control-test";
            assertThat(postJson(url, "{}", "admin", "").statusCode()).as("no password configured").isEqualTo(403);
        }
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.routes.dir", routesDir.toString(),
                "flowledger.api.password", "api-secret-1"))) {
            String url = "http://127.0.0.1:" + app.httpPort() + "/api/control-test";
            assertThat(postJson(url, "{}", null, null).statusCode()).isEqualTo(401);
            assertThat(postJson(url, "{}", "admin", "nope").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = postJson(url, "{}", "admin", "api-secret-1");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("started");
        }
    }

    private static String route(String id, String path, String answer) {
        return "- route:\n    id: " + id + "\n    from:\n      uri: \"platform-http:" + path + "\"\n      steps:\n"
                + "        - setBody:\n            constant: \"" + answer + "\"\n";
    }
}
