package routes.app;

import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers the business HTTP server gives before a route runs (no route for the path, a method the route does
 * not take, a body too large) or when the HTTP layer itself fails: JSON {@code {"error": "..."}} like every API
 * answer, instead of Vert.x's text or HTML pages, and never a stack trace.
 */
final class JsonHttpErrors {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.api");
    private static final int[] CODES = {400, 404, 405, 406, 413, 414, 415, 431, 500, 501, 503};

    private JsonHttpErrors() {
    }

    private static final java.util.Set<Object> INSTALLED = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());

    static synchronized void install(CamelContext camel, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camel, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            router = VertxPlatformHttpRouter.lookup(camel);
        }
        if (router == null || !INSTALLED.add(router)) {
            return; // no HTTP server (a one-off job), or done already (listeners are called again when a route starts)
        }
        LOG.debug("JSON answers for requests no route takes on port {}", port);
        for (int code : CODES) {
            router.errorHandler(code, JsonHttpErrors::answer);
        }
        // The API's router is mounted as a sub-router, and Vert.x asks only the root router for error handlers: a
        // failure inside it (the body handler's 413 for a body over flowledger.http.max-body-size) is answered by
        // a failure handler of its own.
        router.route().order(Integer.MIN_VALUE).failureHandler(JsonHttpErrors::answer);
        // No API takes files or forms: such a body is refused before Vert.x's body handler would write its parts to
        // disk. (camel.server.file-upload-enabled=false does not switch that off in Camel 4.17: the handler then
        // writes to ./file-uploads instead of a temporary folder.)
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String type = ctx.request().getHeader("Content-Type");
            if (type != null && (type.regionMatches(true, 0, "multipart/", 0, 10)
                    || type.regionMatches(true, 0, "application/x-www-form-urlencoded", 0, 33))) {
                ctx.response().setStatusCode(415);
                answer(ctx, 415);
            } else {
                ctx.next();
            }
        });
        // The last route of the API's router: a request no route took. 405 when a route has the path (another
        // method), else 404; answered here because Vert.x would answer them outside this router, as text or HTML.
        PlatformHttpComponent component = camel.getComponent("platform-http", PlatformHttpComponent.class);
        router.route().last().handler(ctx -> {
            boolean pathKnown = component != null && component.getHttpEndpoints().stream()
                    .anyMatch(e -> matches(e.getUri(), ctx.normalizedPath()));
            ctx.response().setStatusCode(pathKnown ? 405 : 404);
            answer(ctx, pathKnown ? 405 : 404);
        });
    }

    /** Whether a request path fits a platform-http path ({@code /api/replays/{id}}, {@code /static/*}). */
    static boolean matches(String uri, String path) {
        if (uri == null || path == null) {
            return false;
        }
        StringBuilder regex = new StringBuilder();
        for (String part : uri.split("(?=\\{)|(?<=})|(?=\\*)|(?<=\\*)")) {
            if (part.startsWith("{") && part.endsWith("}")) {
                regex.append("[^/]+");
            } else if (part.equals("*")) {
                regex.append(".*");
            } else {
                regex.append(java.util.regex.Pattern.quote(part));
            }
        }
        return path.matches(regex.toString());
    }

    private static void answer(RoutingContext ctx) {
        answer(ctx, ctx.statusCode() < 400 ? 500 : ctx.statusCode());
    }

    private static void answer(RoutingContext ctx, int code) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        String reason = switch (code) {
            case 404 -> "no such resource: " + abbreviate(ctx.normalizedPath());
            case 405 -> "method " + ctx.request().method() + " not allowed on " + abbreviate(ctx.normalizedPath());
            case 413 -> "request body too large";
            case 414 -> "request line too long";
            case 415 -> "unsupported content type";
            case 431 -> "request headers too large";
            case 400 -> "bad request";
            default -> code >= 500 ? "internal error" : "request refused";
        };
        if (code >= 500) {
            Throwable f = ctx.failure();
            LOG.warn("{} {} failed ({}): {}", ctx.request().method(), abbreviate(ctx.normalizedPath()), code,
                    f == null ? "no detail" : f.getClass().getSimpleName() + ": " + f.getMessage());
        }
        ctx.response().setStatusCode(code).putHeader("Content-Type", "application/json")
                .end("{\"error\":\"" + reason.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String clean = s.replaceAll("[\\p{Cntrl}]", "?");
        return clean.length() <= 100 ? clean : clean.substring(0, 100) + "...";
    }
}
