package routes.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Built-in stand-ins for the third-party HTTP APIs that cannot run here: Roket, Druid, Slack and DMAP. They
 * behave like the real ones as flowledger assumes them (DESIGN.md), faults included, and show what they
 * received. For the demo only: tests use WireMock, the service never starts these.
 */
public final class HttpSimulators implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final int port;

    /** Roket: records stored by id (how many times each arrived), and the faults to inject. */
    public final Map<String, AtomicInteger> roketRecords = new ConcurrentHashMap<>();
    public final AtomicLong roketRequests = new AtomicLong();
    /** Every Nth request answers 503 (0 = never). */
    public volatile int roketFail503Every;
    /** Every Nth request answers 429 with Retry-After: 1 (0 = never). */
    public volatile int roketThrottleEvery;
    /** Records whose id is listed are refused with 422 (the whole request is rejected, as Roket does). */
    public final Set<String> roketRefusedIds = ConcurrentHashMap.newKeySet();
    public volatile String roketToken = "demo-roket-token";
    public volatile String roketIdField = "id";

    /** Druid: segment ids per datasource, and those marked unused. */
    public final Map<String, List<ObjectNode>> druidSegments = new ConcurrentHashMap<>();
    public final List<String> druidMarkedUnused = new CopyOnWriteArrayList<>();

    /** Slack: every message posted to the webhook. */
    public final List<String> slackMessages = new CopyOnWriteArrayList<>();

    /** DMAP: the API key it accepts and the daily files it serves ("dataset/yyyy-MM-dd" to CSV). */
    public volatile String dmapApiKey = "demo-dmap-key";
    public final Map<String, String> dmapFiles = new ConcurrentHashMap<>();

    private HttpSimulators(HttpServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static HttpSimulators start() throws IOException {
        int port = Ports.free();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        HttpSimulators s = new HttpSimulators(server, port);
        server.createContext("/roket", s::roket);
        server.createContext("/druid", s::druid);
        server.createContext("/slack", s::slack);
        server.createContext("/dmap", s::dmap);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        return s;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public String roketUrl() {
        return baseUrl() + "/roket/records";
    }

    public String druidUrl() {
        return baseUrl() + "/druid";
    }

    public String slackUrl() {
        return baseUrl() + "/slack/webhook";
    }

    // ------------------------------------------------------------------ Roket

    private void roket(HttpExchange ex) throws IOException {
        if ("GET".equals(ex.getRequestMethod())) {
            ObjectNode out = JSON.createObjectNode();
            out.put("requests", roketRequests.get());
            out.put("distinctRecords", roketRecords.size());
            out.put("duplicates", roketRecords.values().stream().filter(c -> c.get() > 1).count());
            send(ex, 200, out.toString());
            return;
        }
        long n = roketRequests.incrementAndGet();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.equals("Bearer " + roketToken)) {
            send(ex, 401, "{\"error\":\"missing or wrong bearer token\"}");
            return;
        }
        if (roketFail503Every > 0 && n % roketFail503Every == 0) {
            send(ex, 503, "{\"error\":\"service unavailable\"}");
            return;
        }
        if (roketThrottleEvery > 0 && n % roketThrottleEvery == 0) {
            ex.getResponseHeaders().add("Retry-After", "1");
            send(ex, 429, "{\"error\":\"too many requests\"}");
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(ex.getRequestBody());
        } catch (IOException e) {
            send(ex, 400, "{\"error\":\"body is not JSON\"}");
            return;
        }
        if (body == null || !body.isArray() || body.isEmpty()) {
            send(ex, 400, "{\"error\":\"body must be a JSON array of 1-100 records\"}");
            return;
        }
        if (body.size() > 100) {
            send(ex, 413, "{\"error\":\"at most 100 records per request\"}");
            return;
        }
        List<String> refused = new ArrayList<>();
        for (JsonNode r : body) {
            String id = r.path(roketIdField).asText();
            if (roketRefusedIds.contains(id)) {
                refused.add(id);
            }
        }
        if (!refused.isEmpty()) {
            send(ex, 422, "{\"error\":\"invalid records\",\"ids\":" + JSON.writeValueAsString(refused) + "}");
            return;
        }
        for (JsonNode r : body) {
            roketRecords.computeIfAbsent(r.path(roketIdField).asText(), k -> new AtomicInteger()).incrementAndGet();
        }
        send(ex, 201, "{\"stored\":" + body.size() + "}");
    }

    // ------------------------------------------------------------------ Druid

    /** Adds a segment of {@code datasource} for {@code day} (yyyy-MM-dd) and returns its id. */
    public String addDruidSegment(String datasource, String day, String version) {
        String id = datasource + "_" + day + "T00:00:00.000Z_" + day + "T23:59:59.999Z_" + version;
        ObjectNode seg = JSON.createObjectNode();
        seg.put("segment_id", id);
        seg.put("datasource", datasource);
        seg.put("start", day + "T00:00:00.000Z");
        seg.put("end", day + "T23:59:59.999Z");
        druidSegments.computeIfAbsent(datasource, k -> new CopyOnWriteArrayList<>()).add(seg);
        return id;
    }

    private void druid(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.endsWith("/druid/v2/sql") && "POST".equals(ex.getRequestMethod())) {
            // Answers "SELECT ... FROM sys.segments WHERE datasource = 'x' AND start >= 'day'..." with the
            // segments of the named datasource starting on the named day.
            String query = JSON.readTree(ex.getRequestBody()).path("query").asText();
            ArrayNode rows = JSON.createArrayNode();
            druidSegments.forEach((ds, segs) -> {
                if (query.contains("'" + ds + "'")) {
                    for (ObjectNode s : segs) {
                        String day = s.get("start").asText().substring(0, 10);
                        if (query.contains(day) && !druidMarkedUnused.contains(s.get("segment_id").asText())) {
                            rows.add(s);
                        }
                    }
                }
            });
            send(ex, 200, rows.toString());
            return;
        }
        if (path.matches(".*/druid/indexer/v1/datasources/[^/]+/markUnused") && "POST".equals(ex.getRequestMethod())) {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            int changed = 0;
            for (JsonNode id : body.path("segmentIds")) {
                if (!druidMarkedUnused.contains(id.asText())) {
                    druidMarkedUnused.add(id.asText());
                    changed++;
                }
            }
            send(ex, 200, "{\"numChangedSegments\":" + changed + "}");
            return;
        }
        send(ex, 404, "{\"error\":\"not simulated: " + path + "\"}");
    }

    public String dmapUrl() {
        return baseUrl() + "/dmap";
    }

    // ------------------------------------------------------------------ DMAP

    /** GET /dmap/datasets/{dataset}/{yyyy-MM-dd} with header x-api-key: the day's CSV, 404 when there is none. */
    private void dmap(HttpExchange ex) throws IOException {
        if (!dmapApiKey.equals(ex.getRequestHeaders().getFirst("x-api-key"))) {
            send(ex, 403, "{\"error\":\"invalid api key\"}");
            return;
        }
        String path = ex.getRequestURI().getPath();
        String file = path.startsWith("/dmap/datasets/") ? dmapFiles.get(path.substring("/dmap/datasets/".length())) : null;
        if (file == null) {
            send(ex, 404, "{\"error\":\"no such file\"}");
            return;
        }
        send(ex, 200, file);
    }

    // ------------------------------------------------------------------ Slack

    private void slack(HttpExchange ex) throws IOException {
        if ("GET".equals(ex.getRequestMethod())) {
            send(ex, 200, JSON.writeValueAsString(slackMessages));
            return;
        }
        JsonNode body = JSON.readTree(ex.getRequestBody());
        if (body == null || !body.hasNonNull("text") && !body.hasNonNull("blocks")) {
            send(ex, 400, "no_text");
            return;
        }
        slackMessages.add(body.path("text").asText(body.toString()));
        send(ex, 200, "ok");
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", body.startsWith("{") || body.startsWith("[")
                ? "application/json" : "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
