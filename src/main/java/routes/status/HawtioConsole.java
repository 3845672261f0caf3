package routes.status;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hawtio 4 in the box, at {@code /hawtio} on the management port. The Hawtio web app (the static files of
 * {@code io.hawt:hawtio-war}, unpacked into the jar at build time) talks to the management server's own Jolokia:
 * {@code /hawtio/jolokia/...} is rerouted inside the server to {@code /observe/jolokia/...}, so a Hawtio user is held
 * to exactly the same least-privilege policy ({@code jolokia-access.xml}) as any other Jolokia client. The small
 * back end the app expects (login, user, logout, feature switches) is answered here: the login is the management
 * login ({@code flowledger.management.user} / {@code .password}), kept in an HttpOnly session cookie.
 * No second Jolokia, no servlet container.
 */
public final class HawtioConsole {

    private static final Logger LOG = LoggerFactory.getLogger(HawtioConsole.class);
    public static final String PATH = "/hawtio";
    private static final String COOKIE = "flowledger-hawtio";
    private static final Duration SESSION = Duration.ofMinutes(30);
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "json", "application/json",
            "svg", "image/svg+xml", "png", "image/png", "ico", "image/x-icon", "woff", "font/woff", "woff2", "font/woff2",
            "ttf", "font/ttf");

    private final String user;
    private final byte[] password;
    private final String jolokiaPath;
    private final Clock clock;
    private final Map<String, Instant> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /** {@code jolokiaPath}: where the management server serves Jolokia (e.g. {@code /observe/jolokia}). */
    public HawtioConsole(String user, String password, String jolokiaPath) {
        this(user, password, jolokiaPath, Clock.systemUTC());
    }

    HawtioConsole(String user, String password, String jolokiaPath, Clock clock) {
        this.user = user;
        this.password = password.getBytes(StandardCharsets.UTF_8);
        this.jolokiaPath = jolokiaPath;
        this.clock = clock;
    }

    /** True when the jar carries the Hawtio web app (it is unpacked at build time). */
    public static boolean available() {
        return HawtioConsole.class.getResource(PATH + "/index.html") != null;
    }

    /** Mounts /hawtio on the management server of a started CamelContext. */
    public void mount(CamelContext camel) {
        ManagementHttpServer server = camel.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            throw new IllegalStateException("Hawtio needs the management server (camel.management.enabled)");
        }
        mount(server.getRouter());
    }

    void mount(Router router) {
        router.post(PATH + "/auth/login").handler(BodyHandler.create().setBodyLimit(4096)).handler(this::login);
        router.get(PATH + "/auth/logout").handler(this::logout);
        router.get(PATH + "/user").handler(ctx -> {
            if (session(ctx)) {
                json(ctx, 200, "\"" + user.replace("\"", "") + "\"");
            } else {
                json(ctx, 401, "{\"error\":\"not logged in\"}"); // no WWW-Authenticate: Hawtio shows its login page
            }
        });
        router.get(PATH + "/refresh").handler(ctx -> json(ctx, session(ctx) ? 200 : 401, "{}"));
        router.get(PATH + "/keycloak/enabled").handler(ctx -> json(ctx, 200, "false"));
        router.get(PATH + "/proxy/enabled").handler(ctx -> json(ctx, 200, "false"));
        router.get(PATH + "/plugin").handler(ctx -> json(ctx, 200, "[]"));
        router.get(PATH + "/auth/config*").handler(ctx -> json(ctx, 404, "{\"error\":\"no OIDC\"}"));
        router.route(PATH + "/jolokia*").handler(this::jolokia);
        router.route(HttpMethod.GET, PATH + "*").blockingHandler(this::file);
        LOG.info("Hawtio at {} on the management port (management login, Jolokia policy jolokia-access.xml)", PATH);
    }

    private void login(RoutingContext ctx) {
        String u;
        String p;
        try {
            JsonObject body = ctx.body().asJsonObject();
            u = body == null ? null : body.getString("username");
            p = body == null ? null : body.getString("password");
        } catch (RuntimeException e) {
            json(ctx, 400, "{\"error\":\"expected {\\\"username\\\":..., \\\"password\\\":...}\"}");
            return;
        }
        boolean ok = u != null && p != null
                && MessageDigest.isEqual(u.getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8))
                && MessageDigest.isEqual(p.getBytes(StandardCharsets.UTF_8), password);
        if (!ok) {
            LOG.warn("Hawtio login refused for user '{}'", u == null ? "" : u.replaceAll("[^A-Za-z0-9._@-]", "?"));
            json(ctx, 403, "{\"error\":\"wrong user or password\"}");
            return;
        }
        byte[] token = new byte[24];
        random.nextBytes(token);
        String id = HexFormat.of().formatHex(token);
        sessions.put(id, clock.instant().plus(SESSION));
        ctx.response().addCookie(Cookie.cookie(COOKIE, id).setPath(PATH).setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT));
        json(ctx, 200, "{\"username\":\"" + user.replace("\"", "") + "\"}");
    }

    private void logout(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(COOKIE);
        if (c != null) {
            sessions.remove(c.getValue());
        }
        ctx.response().addCookie(Cookie.cookie(COOKIE, "").setPath(PATH).setMaxAge(0));
        ctx.response().setStatusCode(302).putHeader("Location", PATH + "/").end();
    }

    private boolean session(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(COOKIE);
        if (c == null) {
            return false;
        }
        Instant until = sessions.get(c.getValue());
        Instant now = clock.instant();
        if (until == null || until.isBefore(now)) {
            sessions.remove(c.getValue());
            return false;
        }
        sessions.put(c.getValue(), now.plus(SESSION)); // sliding: an active user stays logged in
        return true;
    }

    /**
     * Jolokia for the logged-in Hawtio user: rerouted inside the server to the management Jolokia with the
     * management login, so its basic authentication and its policy apply unchanged.
     */
    private void jolokia(RoutingContext ctx) {
        if (!session(ctx)) {
            json(ctx, 401, "{\"error\":\"log in to Hawtio first\"}");
            return;
        }
        String rest = ctx.request().path().substring((PATH + "/jolokia").length());
        String query = ctx.request().query();
        ctx.request().headers().set("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + new String(password, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        ctx.reroute(jolokiaPath + (rest.isEmpty() ? "/" : rest) + (query == null ? "" : "?" + query));
    }

    /** The web app's files; any other path under /hawtio is one of its client-side views: index.html. */
    private void file(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        String rel = path.length() <= PATH.length() + 1 ? "index.html" : path.substring(PATH.length() + 1);
        if (rel.contains("..") || rel.startsWith("/")) {
            ctx.response().setStatusCode(404).end();
            return;
        }
        byte[] content = resource(rel);
        if (content == null) {
            rel = "index.html";
            content = resource(rel);
        }
        if (content == null) {
            ctx.response().setStatusCode(404).end();
            return;
        }
        String ext = rel.substring(rel.lastIndexOf('.') + 1);
        ctx.response().putHeader("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"))
                .putHeader("X-Content-Type-Options", "nosniff").putHeader("X-Frame-Options", "DENY")
                .putHeader("Cache-Control", rel.startsWith("static/") ? "max-age=86400" : "no-cache")
                .end(io.vertx.core.buffer.Buffer.buffer(content));
    }

    private static byte[] resource(String rel) {
        if (rel.isEmpty() || rel.endsWith("/")) {
            return null;
        }
        try (InputStream in = HawtioConsole.class.getResourceAsStream(PATH + "/" + rel)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    private static void json(RoutingContext ctx, int status, String body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body);
    }
}
