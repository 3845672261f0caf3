package routes.common;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The metadata DB: the ledger and the only coordination point between instances. A pooled DataSource whose
 * schema is brought up to date by the Flyway scripts of {@code db/migration} (the same scripts on H2 and
 * PostgreSQL) before any route starts.
 */
public final class MetadataDb implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final String url;

    private MetadataDb(HikariDataSource dataSource, String url) {
        this.dataSource = dataSource;
        this.url = url;
    }

    /**
     * What an H2 ledger needs, whatever URL the user wrote: the SQL in use ({@code ON CONFLICT}, lower-case names,
     * nulls last) needs PostgreSQL compatibility, and {@code WRITE_DELAY=0} makes every commit reach the file
     * before the commit returns, so a process killed with SIGKILL keeps it (H2 otherwise writes about a second
     * later; power loss is not covered: H2 does not fsync each commit).
     */
    public static final Map<String, String> H2_LEDGER_SETTINGS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MODE", "PostgreSQL");
        m.put("DATABASE_TO_LOWER", "TRUE");
        m.put("DEFAULT_NULL_ORDERING", "HIGH");
        m.put("WRITE_DELAY", "0");
        H2_LEDGER_SETTINGS = Collections.unmodifiableMap(m);
    }


    /** The forms of H2 database name flowledger accepts (an embedded file, in memory, or an H2 server). */
    private static final Pattern H2_NAME = Pattern.compile("(?i)^(file:.+|mem:.*|tcp://.+|ssl://.+|[~./\\\\].*|[A-Za-z]:[/\\\\].*)$");

    /**
     * The URL flowledger connects with: an H2 URL gets {@link #H2_LEDGER_SETTINGS} added (the user's own settings
     * are kept); any other URL is returned as it is. Throws {@link IllegalArgumentException} (the message is one
     * line for the user) when the H2 URL names no database flowledger can use (e.g. {@code jdbc:h2:fil:/x}, which
     * H2 would take as a folder named {@code fil:}) or sets one of those settings to a value the ledger cannot
     * work with.
     */
    public static String ledgerUrl(String url) {
        if (url == null || !url.regionMatches(true, 0, "jdbc:h2:", 0, 8)) {
            return url;
        }
        String[] parts = url.substring(8).split(";", -1);
        String name = parts[0].trim();
        if (!H2_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + redactUrl(url) + "' names no H2 database flowledger can use;"
                    + " write jdbc:h2:file:<path>, jdbc:h2:mem:<name> or jdbc:h2:tcp://<host>/<path>");
        }
        StringBuilder out = new StringBuilder("jdbc:h2:").append(name);
        Set<String> given = new HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            String setting = parts[i].trim();
            if (setting.isEmpty()) {
                continue;
            }
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + redactUrl(url) + "': '" + setting
                        + "' is not an H2 setting (write NAME=VALUE, separated by ';')");
            }
            String key = setting.substring(0, eq).trim().toUpperCase(Locale.ROOT);
            String value = setting.substring(eq + 1).trim();
            String needed = H2_LEDGER_SETTINGS.get(key);
            if (needed != null && !needed.equalsIgnoreCase(value)) {
                throw new IllegalArgumentException("sets " + key + "=" + value + ", but flowledger's ledger needs "
                        + key + "=" + needed + " (leave it out: flowledger adds it to every H2 URL)");
            }
            given.add(key);
            out.append(';').append(setting);
        }
        H2_LEDGER_SETTINGS.forEach((k, v) -> {
            if (!given.contains(k)) {
                out.append(';').append(k).append('=').append(v);
            }
        });
        return out.toString();
    }

    /** Opens the pool and migrates the schema when behind. Fails fast when the DB cannot be reached. */
    public static MetadataDb open(String url, String user, String password, int poolSize) {
        return open(url, user, password, poolSize, 10_000, LedgerSchema.Mode.AUTO);
    }

    /** As {@link #open(String, String, String, int)}, waiting at most {@code connectTimeoutMs} for a connection. */
    public static MetadataDb open(String url, String user, String password, int poolSize, long connectTimeoutMs) {
        return open(url, user, password, poolSize, connectTimeoutMs, LedgerSchema.Mode.AUTO);
    }

    /**
     * The metadata DB as the service and the jobs open it: {@code flowledger.db.url}, {@code .user},
     * {@code .password}, and {@code flowledger.db.migrate} (auto: migrate when behind; off: only check).
     */
    public static MetadataDb open(routes.app.Config config, int poolSize) {
        return open(config.require("flowledger.db.url"), config.get("flowledger.db.user"),
                config.get("flowledger.db.password"), poolSize, 10_000, migrateMode(config));
    }

    /** {@code flowledger.db.migrate}, checked. */
    public static LedgerSchema.Mode migrateMode(routes.app.Config config) {
        return LedgerSchema.Mode.valueOf(config.getOneOf("flowledger.db.migrate", java.util.List.of("auto", "off"))
                .toUpperCase(Locale.ROOT));
    }

    /**
     * Opens the pool and brings the schema up to date ({@link LedgerSchema#prepare}): with a current schema no
     * DDL runs, so a role that may only read and write the ledger tables starts fine.
     */
    public static MetadataDb open(String url, String user, String password, int poolSize, long connectTimeoutMs,
                                  LedgerSchema.Mode mode) {
        url = ledgerUrl(url);
        HikariDataSource ds = pool(url, user, password, poolSize, connectTimeoutMs);
        MetadataDb db = new MetadataDb(ds, url);
        try {
            LedgerSchema.prepare(ds, mode, redactUrl(url));
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return db;
    }

    /**
     * {@code flowledger migrate}: applies this build's missing migrations with the given (owner) role and returns
     * the summary line ("migrated from version X to Y (N migration(s) applied)" or "already at version N ...").
     */
    public static String migrate(String url, String user, String password) {
        try (HikariDataSource ds = pool(ledgerUrl(url), user, password, 3, 10_000)) { // Flyway uses two at once
            return LedgerSchema.migrateAndSummarize(ds);
        }
    }

    private static HikariDataSource pool(String url, String user, String password, int poolSize, long connectTimeoutMs) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("flowledger-db");
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(poolSize);
        hc.setMinimumIdle(Math.min(2, poolSize));
        hc.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        hc.setInitializationFailTimeout(connectTimeoutMs);
        return new HikariDataSource(hc);
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
