package routes.app;

import java.util.LinkedHashMap;
import java.util.Map;

/** Answers GET /api/info: version, enabled pipelines and where the ledger lives (no secrets). */
public class Info {
    private final Config config;
    private final String dbUrl;

    public Info(Config config, String dbUrl) {
        this.config = config;
        this.dbUrl = dbUrl;
    }

    public Map<String, Object> info() throws java.io.IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", "flowledger");
        out.put("version", new FlowledgerCli.Version().getVersion()[0].replace("flowledger ", ""));
        Map<String, Boolean> pipelines = new LinkedHashMap<>();
        for (Pipeline p : Pipeline.values()) {
            pipelines.put(p.id(), p.isEnabled(config));
        }
        out.put("pipelines", pipelines);
        out.put("metadataDb", dbUrl);
        return out;
    }
}
