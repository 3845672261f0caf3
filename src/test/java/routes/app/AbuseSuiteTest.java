package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.S3Server;

/**
 * The abuse suite: the service with every pipeline enabled; every HTTP route it runs, found in the Camel context
 * (so a route added later is covered without editing this test), gets a corpus of bad requests: wrong methods, no
 * or bad credentials, malformed JSON, null, arrays, wrong types, unknown fields, huge and odd ids, bad query
 * values. Whatever the request: no 5xx, a JSON error body on every 4xx, no configured secret in any answer, and
 * nothing started or changed (every ledger table keeps its row count; no control call is accepted).
 */
@ExtendWith({S3Server.class, AzuriteServer.class})
class AbuseSuiteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    /** An HTTP route of the running service: its path (with {params}) and the methods it answers. */
    record HttpRoute(String id, String path, Set<String> methods) {
    }

    static List<HttpRoute> httpRoutes(CamelContext camel) {
        List<HttpRoute> out = new ArrayList<>();
        for (Route r : camel.getRoutes()) {
            if (r.getEndpoint() instanceof PlatformHttpEndpoint e
                    && camel.getRouteController().getRouteStatus(r.getRouteId()) == ServiceStatus.Started) {
                String restrict = e.getHttpMethodRestrict();
                Set<String> methods = new LinkedHashSet<>();
                if (restrict == null || restrict.isBlank()) {
                    methods.addAll(List.of("GET", "POST"));
                } else {
                    Arrays.stream(restrict.split(",")).map(m -> m.trim().toUpperCase(Locale.ROOT)).forEach(methods::add);
                }
                out.add(new HttpRoute(r.getRouteId(), e.getPath(), methods));
            }
        }
        return out;
    }

    @Test
    void every_http_route_refuses_a_corpus_of_bad_requests_without_5xx_secrets_or_side_effects(@TempDir Path routesDir)
            throws Exception {
        try (FlowledgerApp app = SecureService.start(routesDir)) {
            List<HttpRoute> routes = httpRoutes(app.camelContext());
            assertThat(routes).extracting(HttpRoute::path).as("found in the Camel context, every pipeline's API")
                    .contains("/api/info", "/api/roket/uploads", "/api/dataflows/{correlationId}", "/api/cubic/tables",
                            "/api/replays", "/api/patterns/pipes/{pipe}/reset");
            Map<String, Long> before = SecureService.rowCounts(app);
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
            log.start();
            ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                    org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.addAppender(log);
            Abuse abuse = new Abuse("http://127.0.0.1:" + app.httpPort());
            try {
                for (HttpRoute route : routes) {
                    abuse.attack(route);
                }
            } finally {
                root.detachAppender(log);
            }
            assertThat(log.list).as("bad requests log no stack trace and no error")
                    .filteredOn(e -> e.getThrowableProxy() != null
                            || e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR))
                    .extracting(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
                    .isEmpty();
            assertThat(abuse.problems).as(abuse.requests + " requests; the problems found").isEmpty();
            assertThat(abuse.requests).isGreaterThan(routes.size() * 20);
            assertThat(SecureService.rowCounts(app)).as("a refused request changes nothing in the ledger").isEqualTo(before);
        }
    }

    /** Sends the corpus and collects what is wrong with the answers. */
    static final class Abuse {
        final String base;
        final List<String> problems = new ArrayList<>();
        int requests;
        final Map<String, String> secrets = SecureService.secrets();

        static final String GOOD = SecureService.basic("admin", SecureService.API_PASSWORD);
        static final String[] BAD_AUTH = {null, SecureService.basic("admin", "wrong"), SecureService.basic("", ""),
                "Basic !!!not-base64", "Bearer " + SecureService.API_PASSWORD.substring(3), "Basic"};
        static final String[] ODD_IDS = {"x", "../../etc/passwd", "..", "\u0000", "%00", "' OR '1'='1", "<script>x</script>",
                "-1", "0", "99999999999999999999999", "\u00fc\u20ac\ud83d\ude00", " ", "a/b", "x".repeat(3000)};
        static final String[] BODIES = {null, "", "{not json", "null", "[]", "123", "\"text\"", "true",
                "{\"dryrun\":true}", "{\"columns\":123,\"startDate\":5,\"name\":[],\"prefix\":{}}",
                "{\"topic\":\"" + "y".repeat(10_240) + "\"}", "[".repeat(5000) + "]".repeat(5000),
                "{\"a\":1,\"a\":2}", "{\"startDate\":\"2026-01-01\",\"endDate\":\"2026-01-01\"} trailing"};
        static final String BAD_QUERY = "?page=abc&size=0&limit=abc&since=abc&failuresLimit=abc&releaseHeld=maybe"
                + "&date=abc&state=nope&status=nope&cursor=%25%25&stage=%00&table=%27&dataSetId=" + "q".repeat(2000);

        Abuse(String base) {
            this.base = base;
        }

        void attack(HttpRoute route) throws Exception {
            for (String method : route.methods()) {
                boolean control = !method.equals("GET");
                // Huge and odd ids in every path parameter, with the right credentials.
                for (String id : ODD_IDS) {
                    send(route, method, url(route, id, true, ""), control ? "{\"unknownField\":1}" : null, GOOD);
                    if (id.contains("..") || id.contains("/")) {
                        send(route, method, url(route, id, false, ""), control ? "{\"unknownField\":1}" : null, GOOD);
                    }
                }
                // Every bad body, with no, bad and good credentials.
                for (String body : BODIES) {
                    for (String auth : control ? BAD_AUTH : new String[]{null}) {
                        send(route, method, url(route, "x", true, ""), body, auth);
                    }
                    send(route, method, url(route, "x", true, ""), body, GOOD);
                }
                // Bad query values.
                send(route, method, url(route, "x", true, BAD_QUERY), null, GOOD);
                send(route, method, url(route, "x", true, BAD_QUERY), null, null);
            }
            // Methods the route does not answer.
            for (String wrong : List.of("GET", "POST", "PUT", "DELETE", "PATCH")) {
                if (!route.methods().contains(wrong)) {
                    send(route, wrong, url(route, "x", true, ""), "{}", GOOD);
                    send(route, wrong, url(route, "x", true, ""), null, null);
                }
            }
            // A 10 kB id: refused before routing (414, the HTTP codec's limit on the request line); never a 5xx.
            if (route.path().contains("{")) {
                try {
                    HttpResponse<String> r = SecureService.sendAlone(route.methods().iterator().next(),
                            url(route, "z".repeat(10_240), true, ""), null, GOOD);
                    requests++;
                    if (r.statusCode() >= 500 || r.statusCode() < 400) {
                        problems.add(route.id() + " 10 kB id -> " + r.statusCode());
                    }
                } catch (java.io.IOException e) {
                    problems.add(route.id() + " 10 kB id -> no answer: " + e);
                }
            }
        }

        private String url(HttpRoute route, String id, boolean encode, String query) {
            Matcher m = PARAM.matcher(route.path());
            String path = m.replaceAll(Matcher.quoteReplacement(encode ? SecureService.enc(id) : id));
            return base + path + query;
        }

        private void send(HttpRoute route, String method, String url, String body, String auth) {
            String what = route.id() + " " + method + " " + abbreviate(url.substring(base.length())) + " body="
                    + abbreviate(body) + " auth=" + (auth == null ? "none" : auth.equals(GOOD) ? "good" : "bad");
            HttpResponse<String> r;
            try {
                r = SecureService.send(method, url, body, auth);
            } catch (IllegalArgumentException e) {
                return; // a URL the client itself will not send (e.g. a raw space): nothing reached the server
            } catch (Exception e) {
                problems.add(what + " -> no answer: " + e);
                return;
            }
            requests++;
            int status = r.statusCode();
            if (status >= 500) {
                problems.add(what + " -> " + status + " " + abbreviate(r.body()));
            }
            if (status >= 400 && status < 500 && status != 414 && status != 431) {
                String type = r.headers().firstValue("Content-Type").orElse("");
                JsonNode json = null;
                try {
                    json = JSON.readTree(r.body());
                } catch (Exception ignored) {
                    // reported below
                }
                if (!type.startsWith("application/json") || json == null || !json.path("error").isTextual()
                        || json.path("error").asText().isBlank()) {
                    problems.add(what + " -> " + status + " without a JSON error body: " + type + " " + abbreviate(r.body()));
                }
            }
            if (!method.equals("GET") && status < 300) {
                problems.add(what + " -> " + status + ": a bad control request was accepted");
            }
            if (!method.equals("GET") && !GOOD.equals(auth) && status != 401 && status != 403 && status != 404
                    && status != 405) {
                problems.add(what + " -> " + status + ": a control request without the API login got past authentication");
            }
            String answer = r.headers().map() + r.body();
            if (answer.contains(GOOD.substring("Basic ".length()))) {
                problems.add(what + " -> the answer echoes the API credentials");
            }
            secrets.forEach((key, secret) -> {
                if (answer.contains(secret)) {
                    problems.add(what + " -> the answer holds " + key);
                }
            });
        }

        private static String abbreviate(String s) {
            if (s == null) {
                return "none";
            }
            return s.length() <= 80 ? s : s.substring(0, 80) + "...(" + s.length() + ")";
        }
    }
}
