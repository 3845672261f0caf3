package routes.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The two Druid calls a replay makes (STACK.md "Druid"): list a day's segments of a data source with Druid SQL on
 * {@code sys.segments}, and mark exactly the listed segment ids unused on the Overlord. Never by interval: that
 * would also hit the segments the replay has just produced.
 */
public final class DruidClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout;

    public DruidClient(String baseUrl, Duration timeout) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Ids of the published segments of {@code datasource} that start on {@code day} (yyyy-MM-dd). */
    public List<String> segmentsOf(String datasource, String day) throws IOException, InterruptedException {
        String sql = "SELECT \"segment_id\" FROM sys.segments WHERE \"datasource\" = '" + quote(datasource)
                + "' AND \"start\" LIKE '" + day + "T%' AND \"is_published\" = 1 AND \"is_overshadowed\" = 0";
        JsonNode rows = post("/druid/v2/sql", Map.of("query", sql, "resultFormat", "object"));
        List<String> ids = new ArrayList<>();
        for (JsonNode r : rows) {
            ids.add(r.path("segment_id").asText());
        }
        return ids;
    }

    /** Marks exactly these segments unused; returns how many Druid says it changed. */
    public int markUnused(String datasource, List<String> segmentIds) throws IOException, InterruptedException {
        if (segmentIds.isEmpty()) {
            return 0;
        }
        JsonNode answer = post("/druid/indexer/v1/datasources/" + URLEncoder.encode(datasource, StandardCharsets.UTF_8)
                + "/markUnused", Map.of("segmentIds", segmentIds));
        return answer.path("numChangedSegments").asInt(0);
    }

    private JsonNode post(String path, Object body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("Druid " + path + " answered " + r.statusCode() + ": " + abbreviate(r.body()));
        }
        return JSON.readTree(r.body());
    }

    private static String quote(String s) {
        return s.replace("'", "''");
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
