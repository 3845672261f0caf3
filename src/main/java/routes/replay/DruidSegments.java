package routes.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import routes.app.Config;

/**
 * The two Druid calls a replay makes (STACK.md "Druid"), sent by the {@code replay-druid} route with Camel's HTTP
 * component: list a day's segments of a data source with Druid SQL on {@code sys.segments}, and mark exactly the
 * listed segment ids unused on the Overlord. Never by interval: that would also hit the segments the replay made.
 */
public class DruidSegments implements CamelContextAware {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Config config;
    private CamelContext camel;
    private ProducerTemplate template;

    DruidSegments(Config config) {
        this.config = config;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camel = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camel;
    }

    /** Ids of the published segments of {@code datasource} that start on {@code day} (yyyy-MM-dd). */
    List<String> segmentsOf(String datasource, String day) throws IOException {
        String sql = "SELECT \"segment_id\" FROM sys.segments WHERE \"datasource\" = '" + datasource.replace("'", "''")
                + "' AND \"start\" LIKE '" + day + "T%' AND \"is_published\" = 1 AND \"is_overshadowed\" = 0";
        List<String> ids = new ArrayList<>();
        for (JsonNode r : post("/druid/v2/sql", Map.of("query", sql, "resultFormat", "object"))) {
            ids.add(r.path("segment_id").asText());
        }
        return ids;
    }

    /** Marks exactly these segments unused; returns how many Druid says it changed. */
    int markUnused(String datasource, List<String> segmentIds) throws IOException {
        if (segmentIds.isEmpty()) {
            return 0;
        }
        return post("/druid/indexer/v1/datasources/" + URLEncoder.encode(datasource, StandardCharsets.UTF_8) + "/markUnused",
                Map.of("segmentIds", segmentIds)).path("numChangedSegments").asInt(0);
    }

    private synchronized JsonNode post(String path, Object body) throws IOException {
        if (template == null) {
            template = camel.createProducerTemplate();
        }
        String url = config.require("flowledger.druid.url").replaceAll("/+$", "") + path;
        String json = JSON.writeValueAsString(body);
        Exchange answer = template.send("direct:replay-druid", e -> {
            e.setProperty("druidUrl", url);
            e.getIn().setBody(json);
        });
        if (answer.getException() != null) {
            throw new IOException("Druid " + path + ": " + DayFailure.describe(answer.getException()), answer.getException());
        }
        return JSON.readTree(answer.getMessage().getBody(String.class));
    }
}
