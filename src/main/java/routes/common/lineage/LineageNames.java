package routes.common.lineage;

import io.openlineage.client.utils.DatasetIdentifier;
import io.openlineage.client.utils.SnowflakeUtils;
import io.openlineage.client.utils.jdbc.JdbcDatasetUtils;
import java.net.URI;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import routes.common.lineage.LineageJob.Dataset;

/**
 * Dataset names per the OpenLineage naming spec (spec/Naming.md): namespace = the data source as
 * {@code scheme://authority}, name = the dataset's path in it. JDBC sources go through the OpenLineage client's own
 * {@link JdbcDatasetUtils} (Snowflake {@code snowflake://{org}-{account}} with {@code db.schema.table}, PostgreSQL
 * {@code postgres://host:port} with {@code db.schema.table}, ...), so flowledger names them as every other OpenLineage
 * producer does.
 */
public final class LineageNames {

    private static final Pattern FROM = Pattern.compile("(?is)\\bfrom\\s+((?:\"[^\"]+\"|[A-Za-z0-9_$]+)(?:\\.(?:\"[^\"]+\"|[A-Za-z0-9_$]+)){0,2})");
    private static final Pattern ACCOUNT = Pattern.compile("(?i)(?:^|;)\\s*AccountName=([^;]+)");

    private LineageNames() {
    }

    /** A table of a JDBC source; {@code table} may be {@code table}, {@code schema.table} or {@code db.schema.table}. */
    public static Dataset jdbc(String jdbcUrl, String table) {
        if (jdbcUrl.regionMatches(true, 0, "jdbc:snowflake://", 0, 17)) {
            return snowflake(jdbcUrl, table);
        }
        DatasetIdentifier id = JdbcDatasetUtils.getDatasetIdentifier(jdbcUrl, table, new Properties());
        // A database the client has no scheme for (H2) keeps its URL as namespace: without the ;settings part,
        // which is configuration, not identity (and may hold a password).
        return new Dataset(id.getNamespace().replaceFirst(";.*$", ""), id.getName());
    }

    /**
     * Snowflake: {@code snowflake://{organization}-{account}} (the client's own account parsing of the host) and
     * {@code database.schema.table}, a table named without database or schema taking them from the URL's
     * {@code db=} and {@code schema=} (as Snowflake resolves it).
     */
    private static Dataset snowflake(String jdbcUrl, String table) {
        URI u = URI.create(jdbcUrl.substring(5));
        String account = SnowflakeUtils.parseAccountIdentifier(u.getHost());
        String[] parts = table.split("\\.");
        String db = param(u.getRawQuery(), "db");
        String schema = param(u.getRawQuery(), "schema");
        String name = switch (parts.length) {
            case 1 -> (db == null ? "" : db + ".") + (schema == null ? "" : schema + ".") + table;
            case 2 -> (db == null ? "" : db + ".") + table;
            default -> table;
        };
        return new Dataset("snowflake://" + account, name);
    }

    private static String param(String query, String key) {
        if (query == null) {
            return null;
        }
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equalsIgnoreCase(key)) {
                return java.net.URLDecoder.decode(kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * The table a source query reads (its first {@code FROM}), or null when the query names none (a function, a
     * VALUES list): the run is then sent without that input rather than with a guessed one.
     */
    public static String tableOf(String sql) {
        Matcher m = FROM.matcher(sql == null ? "" : sql);
        return m.find() ? m.group(1).replace("\"", "") : null;
    }

    /** S3: {@code s3://{bucket}}, name = the key (prefix) without a leading slash. */
    public static Dataset s3(String bucket, String key) {
        return new Dataset("s3://" + bucket, stripSlash(key));
    }

    /** Kafka: {@code kafka://{bootstrap host}:{port}} (the first bootstrap server), name = the topic. */
    public static Dataset kafka(String brokers, String topic) {
        String first = brokers.split(",")[0].trim();
        first = first.replaceFirst("^[A-Za-z0-9_]+://", ""); // SASL_SSL://host:9093 -> host:9093
        return new Dataset("kafka://" + first, topic);
    }

    /**
     * Azure Blob Storage: {@code wasbs://{container}@{account}.blob.core.windows.net}, name = the blob path. The
     * account comes from the connection string; the spec names the public host even for an emulator (Azurite).
     */
    public static Dataset azureBlob(String connectionString, String container, String path) {
        Matcher m = ACCOUNT.matcher(connectionString == null ? "" : connectionString);
        String account = m.find() ? m.group(1).trim() : "unknown";
        return new Dataset("wasbs://" + container + "@" + account + ".blob.core.windows.net", stripSlash(path));
    }

    /**
     * An HTTP endpoint (Roket, a sink's API): the naming spec has no entry for HTTP APIs, so the spec's general rule
     * applies: namespace = {@code scheme://host:port}, name = the path ("/" for none). Query strings and user info
     * are left out (they may hold credentials).
     */
    public static Dataset http(String url) {
        URI u = URI.create(url);
        int port = u.getPort();
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        String ns = scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (port < 0 ? "" : ":" + port);
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        return new Dataset(ns, path);
    }

    private static String stripSlash(String key) {
        return key == null ? "" : key.replaceFirst("^/+", "");
    }
}
