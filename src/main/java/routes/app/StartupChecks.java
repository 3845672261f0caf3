package routes.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import routes.common.KafkaClients;
import routes.common.MetadataDb;

/**
 * The checks made before anything starts: every foundation key, the shared connections' keys and each enabled
 * pipeline's keys. A bad value stops the start with one line naming the key (exit 2), before the DB or Camel opens.
 */
public final class StartupChecks {

    private StartupChecks() {
    }

    /** Checks every foundation key and the keys of each enabled pipeline; throws naming the first bad key. */
    public static void validate(Config c) {
        c.getPort("flowledger.http.port");
        c.getPort("flowledger.management.port");
        if (c.getPort("flowledger.http.port") == c.getPort("flowledger.management.port")) {
            throw c.invalid("flowledger.management.port", "must differ from flowledger.http.port");
        }
        for (String host : List.of("flowledger.http.host", "flowledger.management.host")) {
            if (!c.get(host).matches("[A-Za-z0-9.:_-]+")) {
                throw c.invalid(host, "must be an IP address or host name (0.0.0.0 = every interface)");
            }
        }
        c.getOneOf("flowledger.log.format", List.of("text", "json"));
        c.getBoolean("flowledger.routes.reload");
        String dir = c.get("flowledger.routes.dir");
        if (!dir.isEmpty() && !Files.isDirectory(Path.of(dir))) {
            throw c.invalid("flowledger.routes.dir", "is not a directory");
        }
        String drivers = c.get("flowledger.drivers.dir");
        if (!drivers.isEmpty() && !Files.isDirectory(Path.of(drivers))) {
            throw c.invalid("flowledger.drivers.dir", "is not a directory");
        }
        if (c.getBoolean("flowledger.routes.reload") && dir.isEmpty()) {
            throw c.invalid("flowledger.routes.reload", "needs flowledger.routes.dir (the directory to watch)");
        }
        String url = c.require("flowledger.db.url");
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw c.invalid("flowledger.db.url", "must be an H2 (jdbc:h2:...) or PostgreSQL (jdbc:postgresql:...) URL");
        }
        try {
            MetadataDb.ledgerUrl(url);
        } catch (IllegalArgumentException e) {
            // Checked here, before the DB is opened: a URL H2 would misread must not create anything on disk.
            throw new ConfigException("flowledger.db.url", e.getMessage() + " (from " + c.origin("flowledger.db.url") + ")");
        }
        c.getInt("flowledger.db.pool-size", 1, 200);
        MetadataDb.migrateMode(c);
        try {
            KafkaClients.from(c::get).validate();
            routes.common.lineage.LineageSettings.from(c::get);
        } catch (routes.common.InvalidSetting e) {
            throw configError(c, e);
        }
        for (Pipeline p : Pipeline.values()) {
            if (p.isEnabled(c)) {
                p.validate(c);
            }
        }
    }

    /** A routes.common check's finding as the configuration error users see (value shown unless secret or empty). */
    public static ConfigException configError(Config c, routes.common.InvalidSetting e) {
        return c.isSet(e.key()) ? c.invalid(e.key(), e.problem())
                : new ConfigException(e.key(), e.problem() + " (from " + c.origin(e.key()) + ")");
    }

    /**
     * With a secured Kafka connection, asks {@code brokers} once whether they accept the configured credentials:
     * a wrong password or an untrusted certificate stops the start (or the job) with one line, exit 2, instead of
     * every client retrying forever. Called for each set of brokers a run will use.
     */
    public static void checkKafka(Config c, String brokers) {
        KafkaClients kafka = KafkaClients.from(c::get);
        if (!kafka.secured() || brokers == null || brokers.isBlank()) {
            return;
        }
        try {
            routes.app.logging.LogSetup.withoutKafkaClientLogs(() -> kafka.verify(brokers, java.time.Duration.ofSeconds(10)));
        } catch (routes.common.InvalidSetting e) {
            throw new ConfigException(e.key(), e.problem());
        }
    }
}
