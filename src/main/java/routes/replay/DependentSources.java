package routes.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The design note's JSON config of dependent sink sources: per backup prefix ({@code ingest}, {@code raw},
 * {@code unique}, {@code failed}, {@code wfs}) its {@code outputKafkaTopic} and the {@code azure} prefixes and
 * {@code druid} data sources built from it, which a replay must clear (and may have to restore).
 */
public record DependentSources(Map<String, Entry> entries) {

    /** One backup prefix: the topic it is normally replayed into and what is built from it downstream. */
    public record Entry(String outputKafkaTopic, List<String> azurePrefixes, List<String> druidDataSources) {
    }

    public static final String BUILT_IN = "replay-config.json";

    /** Reads {@code path}, or the built-in config (the design note's) when path is empty. */
    public static DependentSources load(String path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root;
        if (path == null || path.isBlank()) {
            try (InputStream in = DependentSources.class.getClassLoader().getResourceAsStream(BUILT_IN)) {
                if (in == null) {
                    throw new IOException("built-in " + BUILT_IN + " is missing from the classpath");
                }
                root = json.readTree(in);
            }
        } else {
            Path p = Path.of(path);
            if (!Files.isRegularFile(p)) {
                throw new IOException("config file " + path + " does not exist");
            }
            root = json.readTree(p.toFile());
        }
        if (root == null || !root.isObject()) {
            throw new IOException("config must be a JSON object of backup prefixes");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        var fields = root.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            List<String> azure = new ArrayList<>();
            List<String> druid = new ArrayList<>();
            for (JsonNode s : f.getValue().path("dependentSinkSources")) {
                String type = s.path("type").asText();
                String prefix = s.path("prefix").asText();
                if (prefix.isBlank()) {
                    throw new IOException("entry " + f.getKey() + ": a dependent sink source has no prefix");
                }
                switch (type) {
                    case "azure" -> azure.add(prefix);
                    case "druid" -> druid.add(prefix);
                    default -> throw new IOException("entry " + f.getKey() + ": dependent sink source type '" + type
                            + "' is neither azure nor druid");
                }
            }
            entries.put(f.getKey(), new Entry(f.getValue().path("outputKafkaTopic").asText(null), azure, druid));
        }
        return new DependentSources(entries);
    }
}
