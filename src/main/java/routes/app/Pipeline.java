package routes.app;

import java.util.List;

/**
 * The five pipelines of DESIGN.md. Each is switched on by {@code flowledger.<name>.enabled}, loads its own
 * YAML route files, and checks its own configuration keys only when enabled.
 */
public enum Pipeline {
    ROKET_UPLOAD("roket-upload", "routes.roket.RoketUploadModule", List.of("roket-upload.yaml")),
    STATUS("status", "routes.status.StatusModule", List.of("status.yaml")),
    CUBIC_INGESTION("cubic-ingestion", "routes.cubic.CubicModule",
            List.of("cubic-ingestion.yaml")),
    REPLAY("replay", "routes.replay.ReplayModule", List.of("replay.yaml")),
    PATTERNS("patterns", "routes.patterns.PatternsModule", List.of("templates/*.yaml", "patterns.yaml"));

    private static final PipelineModule NONE = new PipelineModule() { };

    private final String id;
    private final String moduleClass;
    private final List<String> routeFiles;
    private volatile PipelineModule module;

    Pipeline(String id, String moduleClass, List<String> routeFiles) {
        this.id = id;
        this.moduleClass = moduleClass;
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

    public boolean isEnabled(Config config) {
        return config.getBoolean(enabledKey());
    }

    /** Checks the pipeline's keys; throws {@link ConfigException} naming the first bad key. */
    public void validate(Config config) {
        module().validate(config);
    }

    /**
     * The pipeline's {@link PipelineModule} ({@code routes.<package>.<Name>Module}, with a public no-argument
     * constructor), or a module that adds nothing while the pipeline has none yet.
     */
    public PipelineModule module() {
        PipelineModule m = module;
        if (m == null) {
            try {
                m = (PipelineModule) Class.forName(moduleClass).getDeclaredConstructor().newInstance();
            } catch (ClassNotFoundException e) {
                m = NONE;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot create " + moduleClass + ": " + e, e);
            }
            module = m;
        }
        return m;
    }
}
