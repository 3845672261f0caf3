package routes.app;

import java.util.List;
import java.util.function.Consumer;

/**
 * The five pipelines of DESIGN.md. Each is switched on by {@code flowledger.<name>.enabled}, loads its own
 * YAML route files, and checks its own configuration keys only when enabled.
 */
public enum Pipeline {
    ROKET_UPLOAD("roket-upload", List.of("roket-upload.yaml")),
    STATUS("status", List.of("status.yaml")),
    CUBIC_INGESTION("cubic-ingestion",
            List.of("cubic-incoming.yaml", "cubic-ingest.yaml", "cubic-kafka-batcher.yaml", "cubic-dmap-fetch.yaml")),
    REPLAY("replay", List.of("replay.yaml")),
    PATTERNS("patterns", List.of("templates/*.yaml", "patterns.yaml"));

    private final String id;
    private final List<String> routeFiles;

    Pipeline(String id, List<String> routeFiles) {
        this.id = id;
        this.routeFiles = routeFiles;
    }

    public String id() {
        return id;
    }

    public String enabledKey() {
        return "flowledger." + id + ".enabled";
    }

    /** Route files (Ant patterns allowed) under {@code classpath:routes/}; missing ones are skipped. */
    public List<String> routeFiles() {
        return routeFiles;
    }

    /** True when this build ships the pipeline's routes (a pipeline lands with its issue). */
    public boolean isAvailable() {
        return routeFiles.stream().filter(f -> !f.contains("*"))
                .anyMatch(f -> Pipeline.class.getClassLoader().getResource("routes/" + f) != null);
    }

    public boolean isEnabled(Config config) {
        return config.getBoolean(enabledKey());
    }

    /** Checks the pipeline's keys; throws {@link ConfigException} naming the first bad key. */
    public void validate(Config config) {
        Consumer<Config> check = PipelineChecks.forPipeline(this);
        if (check != null) {
            check.accept(config);
        }
    }
}
