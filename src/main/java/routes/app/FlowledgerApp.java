package routes.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ApiAuth;
import routes.common.DbHealthCheck;
import routes.common.KafkaClients;
import routes.common.MetadataDb;
import routes.common.http.ApiErrors;
import routes.common.http.ResponseHeaders;
import routes.common.status.StatusEmitter;

/**
 * The flowledger service: camel-main with the YAML routes of the enabled pipelines, the metadata DB
 * (migrated before any route starts), the HTTP API, and the management server (health, metrics, Jolokia).
 * Used by the service command, by the one-off job commands and by the demo.
 */
public final class FlowledgerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlowledgerApp.class);
    public static final String JOLOKIA_PATH = "/observe/jolokia";

    private final Config config;
    private final Main main = new Main();
    private MetadataDb db;
    private StatusEmitter statusEmitter;
    private routes.common.lineage.Lineage lineage;
    private Path authFile;
    private boolean job;

    public FlowledgerApp(Config config) {
        this.config = config;
    }

    /** Starts the DB and Camel and returns once every route has started. */
    public FlowledgerApp start() throws Exception {
        configure(false);
        main.start();
        LOG.info("flowledger started: API on port {}, health/metrics on port {}", httpPort(), managementPort());
        return this;
    }

    /** Starts and blocks until the JVM is asked to stop (SIGTERM, Ctrl+C). */
    public void runUntilStopped() throws Exception {
        configure(false);
        main.run();
    }

    /**
     * Starts for a one-off job command ({@code upload}, {@code replay}, ...): the same routes and ledger, but no
     * HTTP or management server (a job must not collide with a running service's ports) and with
     * {@code flowledger.job=true}, which schedule-driven routes use to stay stopped
     * ({@code autoStartup: "{{!flowledger.job}}"}).
     */
    public FlowledgerApp startJob() throws Exception {
        configure(true);
        main.start();
        return this;
    }

    public boolean isJob() {
        return job;
    }

    private void configure(boolean jobMode) throws IOException {
        this.job = jobMode;
        if ("kafka".equalsIgnoreCase(config.get("flowledger.status.transport"))) {
            StartupChecks.checkKafka(config, config.get("flowledger.kafka.brokers")); // before anything is opened
        }
        routes.common.JdbcDrivers.load(config.get("flowledger.drivers.dir"));
        db = MetadataDb.open(config, config.getInt("flowledger.db.pool-size", 1, 200));

        Properties props = config.asProperties();
        props.setProperty("flowledger.job", String.valueOf(jobMode));
        // routes/lineage.yaml appends /api/v1/lineage: the URL as validated, without a trailing '/'.
        props.setProperty("flowledger.lineage.url", routes.common.lineage.LineageSettings.from(config::get).url());
        if (jobMode) {
            props.setProperty("camel.server.enabled", "false");
            props.setProperty("camel.management.enabled", "false");
        }
        props.setProperty("camel.main.routes-include-pattern", String.join(",", routePatterns()));
        String dir = config.get("flowledger.routes.dir");
        if (!dir.isEmpty() && config.getBoolean("flowledger.routes.reload")) {
            props.setProperty("camel.main.routes-reload-enabled", "true");
            props.setProperty("camel.main.routes-reload-directory", dir);
            props.setProperty("camel.main.routes-reload-pattern", "*.yaml");
            // Reload only the changed file's routes; the built-in pipelines keep running.
            props.setProperty("camel.main.routes-reload-remove-all-routes", "false");
        }
        if (!jobMode) {
            config.getInt("flowledger.http.max-body-size", 1024, Integer.MAX_VALUE); // a bad value stops the start
            configureJolokia(props);
            configureHawtio(props);
        }
        main.setOverrideProperties(props);

        // Beans are bound before the CamelContext exists, so Camel does not hand CamelContextAware ones their
        // context: every bound bean (shared or a pipeline's) gets it here, once, before any route starts.
        List<Object> bound = new ArrayList<>();
        BiConsumer<String, Object> registry = (name, bean) -> {
            main.bind(name, bean);
            bound.add(bean);
        };
        main.addMainListener(new org.apache.camel.main.MainListenerSupport() {
            @Override
            public void afterConfigure(org.apache.camel.main.BaseMainSupport m) {
                bound.forEach(bean -> CamelContextAware.trySetCamelContext(bean, m.getCamelContext()));
                if (!jobMode) {
                    // Once the HTTP server and every route are up: the API's own 404/405/5xx answers are JSON too.
                    addStartupListener(m.getCamelContext(), new org.apache.camel.ExtendedStartupListener() {
                        @Override
                        public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                        }

                        @Override
                        public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                            JsonHttpErrors.install(context, httpPort());
                        }
                    });
                }
            }
        });
        if (!jobMode) {
            registry.accept("platform-http-engine", new PinnedPortHttpEngine(httpPort()));
        }
        // Every kafka: endpoint (YAML routes, replay's producer) takes its security from this one component.
        KafkaClients kafka = KafkaClients.from(config::get);
        registry.accept("kafka", kafka.component());
        registry.accept("kafkaClients", kafka);
        registry.accept("dataSource", db.dataSource());
        registry.accept("metadataDb", db);
        registry.accept("flowledgerConfig", config);
        registry.accept("dbHealthCheck", new DbHealthCheck(db));
        registry.accept("flowledgerInfo", new Info(config, db.url()));
        statusEmitter = new StatusEmitter();
        registry.accept("statusEmitter", statusEmitter);
        registry.accept("statusHealthCheck", new routes.common.status.StatusHealthCheck(statusEmitter));
        lineage = routes.common.lineage.LineageBeans.bind(config::get,
                new FlowledgerCli.Version().getVersion()[0].replace("flowledger ", ""), registry);
        registry.accept("apiAuth", new ApiAuth(config.get("flowledger.api.user"), config.get("flowledger.api.password")));
        registry.accept("apiErrors", new ApiErrors());
        registry.accept("apiResponseHeaders", new ResponseHeaders());
        try {
            for (Pipeline p : Pipeline.values()) {
                if (p.isEnabled(config)) {
                    p.module().bind(this, registry);
                }
            }
        } catch (RuntimeException e) {
            db.close(); // a module refusing to start (e.g. Kafka refused its credentials) leaves no pool open
            db = null;
            throw e;
        }
    }

    private static void addStartupListener(CamelContext camel, org.apache.camel.StartupListener listener) {
        try {
            camel.addStartupListener(listener);
        } catch (Exception e) {
            throw new IllegalStateException("cannot register a start-up listener", e);
        }
    }

    private List<String> routePatterns() {
        List<String> patterns = new ArrayList<>();
        patterns.add("classpath:routes/flowledger.yaml");
        if (!config.get("flowledger.lineage.url").isEmpty()) {
            patterns.add("classpath:routes/lineage.yaml");
        }
        for (Pipeline p : Pipeline.values()) {
            if (p.isEnabled(config)) {
                for (String f : p.routeFiles()) {
                    patterns.add("classpath:routes/" + f);
                }
            }
        }
        String dir = config.get("flowledger.routes.dir");
        if (!dir.isEmpty()) {
            patterns.add("file:" + Path.of(dir).toAbsolutePath() + "/*.yaml");
        }
        return patterns;
    }

    /**
     * Jolokia (JMX over HTTP, for Hawtio) lets a caller stop routes, so it is only served behind basic
     * authentication with configured credentials. No password configured: Jolokia stays off.
     */
    /**
     * Hawtio at /hawtio on the management port when flowledger.hawtio.enabled: it needs the management Jolokia
     * (so the management password), and is mounted once the management server runs.
     */
    private void configureHawtio(Properties props) {
        if (!config.getBoolean("flowledger.hawtio.enabled")) {
            return;
        }
        if (!"true".equals(props.getProperty("camel.management.jolokia-enabled"))) {
            LOG.warn("Hawtio is off: it needs Jolokia, so flowledger.management.password (and .user)");
            return;
        }
        if (!routes.status.HawtioConsole.available()) {
            LOG.warn("Hawtio is off: this jar was built without the Hawtio web app");
            return;
        }
        routes.status.HawtioConsole hawtio = new routes.status.HawtioConsole(config.get("flowledger.management.user"),
                config.get("flowledger.management.password"), JOLOKIA_PATH);
        main.addMainListener(new org.apache.camel.main.MainListenerSupport() {
            @Override
            public void afterConfigure(org.apache.camel.main.BaseMainSupport m) {
                try {
                    m.getCamelContext().addStartupListener(new org.apache.camel.ExtendedStartupListener() {
                        @Override
                        public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                        }

                        @Override
                        public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                            hawtio.mount(context); // the management server runs by now
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException("cannot mount Hawtio: " + e.getMessage(), e);
                }
            }
        });
    }

    private void configureJolokia(Properties props) throws IOException {
        String user = config.get("flowledger.management.user");
        String password = config.get("flowledger.management.password");
        if (password.isEmpty() || user.isEmpty()) {
            props.setProperty("camel.management.jolokia-enabled", "false");
            LOG.warn("Jolokia is off: set flowledger.management.password (and .user) to manage routes over JMX/HTTP");
            return;
        }
        if (user.contains("=") || user.contains(",") || password.contains(",") || password.contains("\n")) {
            throw config.invalid("flowledger.management.user",
                    "and its password must not contain ',', '=' or line breaks");
        }
        // Vert.x reads basic-auth users from a properties file: written owner-only and removed on exit.
        authFile = Files.createTempFile("flowledger-mgmt-", ".properties",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        authFile.toFile().deleteOnExit();
        Files.writeString(authFile, "user." + user + "=" + password + ",operator\nrole.operator=*\n",
                StandardCharsets.UTF_8);
        props.setProperty("camel.management.jolokia-enabled", "true");
        props.setProperty("camel.management.authentication-enabled", "true");
        props.setProperty("camel.management.authentication-path", JOLOKIA_PATH + "/*");
        props.setProperty("camel.management.basic-properties-file", authFile.toString());
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    /** The one way Java code emits status messages (also bound as {@code statusEmitter}). */
    public StatusEmitter statusEmitter() {
        return statusEmitter;
    }

    /** Where pipelines describe their runs for OpenLineage (a no-op while flowledger.lineage.url is empty). */
    public routes.common.lineage.Lineage lineage() {
        return lineage;
    }

    public MetadataDb db() {
        return db;
    }

    public Config config() {
        return config;
    }

    public int httpPort() {
        return config.getPort("flowledger.http.port");
    }

    public int managementPort() {
        return config.getPort("flowledger.management.port");
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            LOG.warn("Error while stopping Camel: {}", e.getMessage());
        }
        if (db != null) {
            db.close();
        }
        if (authFile != null) {
            try {
                Files.deleteIfExists(authFile);
            } catch (IOException ignored) {
                // deleteOnExit will try again
            }
        }
    }
}
