package routes.common;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata DB: the ledger and the only coordination point between instances. A pooled DataSource whose
 * schema is brought up to date by the Flyway scripts of {@code db/migration} (the same scripts on H2 and
 * PostgreSQL) before any route starts.
 */
public final class MetadataDb implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataDb.class);

    private final HikariDataSource dataSource;
    private final String url;

    private MetadataDb(HikariDataSource dataSource, String url) {
        this.dataSource = dataSource;
        this.url = url;
    }

    /** Opens the pool and migrates the schema. Fails fast when the DB cannot be reached. */
    public static MetadataDb open(String url, String user, String password, int poolSize) {
        return open(url, user, password, poolSize, 10_000);
    }

    /** As {@link #open(String, String, String, int)}, waiting at most {@code connectTimeoutMs} for a connection. */
    public static MetadataDb open(String url, String user, String password, int poolSize, long connectTimeoutMs) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("flowledger-db");
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(poolSize);
        hc.setMinimumIdle(Math.min(2, poolSize));
        hc.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        hc.setInitializationFailTimeout(connectTimeoutMs);
        HikariDataSource ds = new HikariDataSource(hc);
        MetadataDb db = new MetadataDb(ds, url);
        try {
            db.migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return db;
    }

    private void migrate() {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                // Each pipeline owns a range of versions (V1 core, V10 roket-upload, V20 status, V30 cubic-ingestion,
                // V40 replay, V50 patterns), so a pipeline added later may bring a lower version than one applied.
                .outOfOrder(true)
                .load()
                .migrate();
        LOG.info("Metadata DB {} at schema version {} ({} migration(s) applied)",
                redactUrl(url), result.targetSchemaVersion == null ? "current" : result.targetSchemaVersion,
                result.migrationsExecuted);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** True when a connection can be had and answers within two seconds (used by the readiness check). */
    public boolean isReachable() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    public String url() {
        return redactUrl(url);
    }

    public boolean isPostgres() {
        return url.startsWith("jdbc:postgresql:");
    }

    /**
     * JDBC URLs may carry credentials: as parameters ({@code ?user=u&password=p}, H2's {@code ;USER=u;PASSWORD=p},
     * {@code sslpassword}, ...) or as user info ({@code //user:pw@host}). The URL as shown anywhere (logs,
     * {@code GET /api/info}) has every one of them replaced by {@code ****}.
     */
    public static String redactUrl(String url) {
        if (url == null) {
            return "";
        }
        return url
                .replaceAll("//[^/?;@\\s]*@", "//****@")
                .replaceAll("(?i)([?&;:])([a-z0-9_.-]*(?:user|password|passwd|pwd|secret|token|key|credential)[a-z0-9_.-]*)=[^;&]*",
                        "$1$2=****");
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
