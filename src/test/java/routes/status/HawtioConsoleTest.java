package routes.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;

/**
 * Hawtio in the box: a real headless Chromium logs into /hawtio on the management port with the management login,
 * opens the Camel routes view, sees flowledger's routes, stops one and starts it again; what the Jolokia policy
 * does not allow is refused to a Hawtio user too.
 */
class HawtioConsoleTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ROUTE = "status-retention";

    static Map<String, String> settings() {
        return Map.of("flowledger.hawtio.enabled", "true", "flowledger.management.password", "mgmt-secret");
    }

    @Test
    void a_user_logs_into_hawtio_sees_the_flowledger_routes_and_stops_and_starts_one() throws Exception {
        try (FlowledgerApp app = TestApp.start(settings());
             Chromium.Session tab = Chromium.open(1280, 800)) {
            String hawtio = "http://127.0.0.1:" + app.managementPort() + "/hawtio/";
            tab.navigate(hawtio);
            tab.waitFor("document.getElementById('pf-login-username-id')", Duration.ofSeconds(60));
            type(tab, "#pf-login-username-id", "admin");
            type(tab, "#pf-login-password-id", "mgmt-secret");
            tab.click("button[type=submit]");
            tab.waitFor("document.body.innerText.indexOf('Camel') >= 0 && !document.getElementById('pf-login-username-id')",
                    Duration.ofSeconds(60));

            tab.navigate(hawtio + "camel/routes");
            // the tree: open the context's "routes" folder, whose view lists every route
            tab.waitFor(treeNode("routes") + " !== null", Duration.ofSeconds(60));
            tab.eval(treeNode("routes") + ".click(); true");
            tab.waitFor(row(ROUTE) + " !== null", Duration.ofSeconds(60));
            String routes = tab.eval("document.querySelector('table').innerText").asText();
            assertThat(routes).contains("status-api-dataflows", "status-page", ROUTE);
            tab.screenshot(Path.of("target", "screenshots", "hawtio-routes.png"));

            select(tab, ROUTE);
            tab.eval(button("Stop") + ".click(); true");
            tab.waitFor(row(ROUTE) + ".innerText.indexOf('Stopped') >= 0", Duration.ofSeconds(30));
            assertThat(app.camelContext().getRouteController().getRouteStatus(ROUTE).isStopped()).isTrue();

            select(tab, ROUTE);
            tab.waitFor("!" + button("Start") + ".disabled", Duration.ofSeconds(10));
            tab.eval(button("Start") + ".click(); true");
            tab.waitFor(row(ROUTE) + ".innerText.indexOf('Started') >= 0", Duration.ofSeconds(30));
            assertThat(app.camelContext().getRouteController().getRouteStatus(ROUTE).isStarted()).isTrue();

            // outside the policy: a logged-in Hawtio user cannot run an endpoint through the CamelContext
            JsonNode refused = JSON.readTree(tab.eval("fetch('/hawtio/jolokia/', {method: 'POST', headers: {'Content-Type':"
                    + " 'application/json'}, body: JSON.stringify({type: 'exec', mbean: 'org.apache.camel:context=flowledger,"
                    + "type=context,name=\"flowledger\"', operation: 'requestBody(java.lang.String,java.lang.Object)',"
                    + " arguments: ['log:hawtio', 'x']})}).then(function (r) { return r.text(); })").asText());
            assertThat(refused.path("status").asInt()).as(refused.toString()).isEqualTo(403);
            JsonNode write = JSON.readTree(tab.eval("fetch('/hawtio/jolokia/', {method: 'POST', headers: {'Content-Type':"
                    + " 'application/json'}, body: JSON.stringify({type: 'write', mbean: 'java.lang:type=Memory',"
                    + " attribute: 'Verbose', value: true})}).then(function (r) { return r.text(); })").asText());
            assertThat(write.path("status").asInt()).as(write.toString()).isEqualTo(403);
        }
    }

    @Test
    void without_the_management_login_hawtio_serves_no_jolokia_and_refuses_a_wrong_password() throws Exception {
        try (FlowledgerApp app = TestApp.start(settings())) {
            String base = "http://127.0.0.1:" + app.managementPort() + "/hawtio";
            assertThat(get(base + "/jolokia/version").statusCode()).isEqualTo(401);
            assertThat(get(base + "/user").statusCode()).isEqualTo(401);
            HttpResponse<String> page = get(base + "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<base href=\"/hawtio/\">");
            HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"guess\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
        }
    }

    @Test
    void hawtio_is_off_unless_enabled_and_off_without_a_management_password() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.management.password", "mgmt-secret"))) {
            assertThat(get("http://127.0.0.1:" + app.managementPort() + "/hawtio/").statusCode()).isEqualTo(404);
        }
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.hawtio.enabled", "true"))) {
            assertThat(get("http://127.0.0.1:" + app.managementPort() + "/hawtio/").statusCode()).isEqualTo(404);
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Types into a React-controlled input (the value setter React watches, then an input event). */
    private static void type(Chromium.Session tab, String selector, String value) throws Exception {
        tab.eval("(function(){var e=document.querySelector('" + selector + "');"
                + "Object.getOwnPropertyDescriptor(HTMLInputElement.prototype,'value').set.call(e,'" + value + "');"
                + "e.dispatchEvent(new Event('input',{bubbles:true}));return true;})()");
    }

    private static String treeNode(String text) {
        return "(Array.from(document.querySelectorAll('.pf-v5-c-tree-view__node, [role=treeitem] button'))"
                + ".find(function (b) { return b.innerText.trim() === '" + text + "'; }) || null)";
    }

    private static String row(String routeId) {
        return "(Array.from(document.querySelectorAll('tr')).find(function (r) { return Array.from(r.cells)"
                + ".some(function (c) { return c.innerText.trim() === '" + routeId + "'; }); }) || null)";
    }

    private static String button(String text) {
        return "(Array.from(document.querySelectorAll('button')).find(function (b) { return b.innerText.trim() === '"
                + text + "'; }))";
    }

    private static void select(Chromium.Session tab, String routeId) throws Exception {
        tab.eval("(function(){var c=" + row(routeId) + ".querySelector('input[type=checkbox]');"
                + "if(!c.checked){c.click();}return true;})()");
    }
}
