package routes.roket;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import routes.app.Config;

/**
 * The roket-upload keys of the configuration, read and checked once. Every problem names its key
 * (via {@link Config#invalid}), so a bad value stops the command with exit 2 before anything runs.
 */
public record RoketSettings(
        String sourceUrl,
        String sourceUser,
        String sourcePassword,
        java.util.Map<String, String> sourceProperties,
        String sourceQuery,
        String countQuery,
        int fetchSize,
        String idColumn,
        String apiUrl,
        String apiToken,
        int batchSize,
        int concurrency,
        Duration requestTimeout,
        int maxAttempts,
        Duration backoff,
        Duration maxBackoff,
        boolean holdUncertain,
        boolean allowEmpty,
        Duration lockTimeout,
        Duration progressInterval,
        Duration batchTimeout,
        Duration sinkIdleTimeout) {

    /** Roket takes at most this many records per request. */
    public static final int MAX_BATCH = 100;
    private static final Pattern DATE_PARAM = Pattern.compile(":#date\\b");

    public static RoketSettings from(Config c) {
        String url = c.require("flowledger.roket.source.url");
        if (!url.startsWith("jdbc:")) {
            throw c.invalid("flowledger.roket.source.url", "must be a JDBC URL (jdbc:snowflake://..., jdbc:postgresql://...)");
        }
        String query = c.require("flowledger.roket.source.query");
        Matcher m = DATE_PARAM.matcher(query);
        int params = 0;
        while (m.find()) {
            params++;
        }
        if (params == 0) {
            throw c.invalid("flowledger.roket.source.query", "must filter by the date with the named parameter :#date");
        }
        if (query.replaceAll(":#date\\b", "").matches("(?s).*:#\\w.*")) {
            throw c.invalid("flowledger.roket.source.query", "may use only one named parameter, :#date");
        }
        String countQuery = c.get("flowledger.roket.source.count-query");
        if (!countQuery.isEmpty() && !DATE_PARAM.matcher(countQuery).find()) {
            throw c.invalid("flowledger.roket.source.count-query", "must filter by the date with :#date, like the query");
        }
        String idColumn = c.require("flowledger.roket.id-column");
        String apiUrl = c.getUrl("flowledger.roket.api.url");
        String token = c.require("flowledger.roket.api.token");
        int batch = c.getInt("flowledger.roket.batch-size", 1, MAX_BATCH);
        int concurrency = c.getInt("flowledger.roket.concurrency", 1, 64);
        Duration timeout = positive(c, "flowledger.roket.request-timeout");
        int attempts = c.getInt("flowledger.roket.retry.max-attempts", 1, 100);
        Duration backoff = positive(c, "flowledger.roket.retry.backoff");
        Duration maxBackoff = positive(c, "flowledger.roket.retry.max-backoff");
        String onUncertain = c.getOneOf("flowledger.roket.on-uncertain", List.of("resend", "hold"));
        boolean allowEmpty = c.getBoolean("flowledger.roket.allow-empty");
        Duration lockTimeout = positive(c, "flowledger.roket.lock-timeout");
        Duration progress = positive(c, "flowledger.roket.progress-interval");
        int fetch = c.getInt("flowledger.roket.source.fetch-size", 1, 100_000);
        String schedule = c.require("flowledger.roket.schedule");
        if (!org.quartz.CronExpression.isValidExpression(schedule)) {
            throw c.invalid("flowledger.roket.schedule", "is not a Quartz cron expression (e.g. 0 0 2 * * ?)");
        }
        Duration batchTimeout = positive(c, "flowledger.roket.batch-timeout");
        Duration idle = positive(c, "flowledger.roket.sink.idle-timeout");
        return new RoketSettings(url, c.get("flowledger.roket.source.user"), c.get("flowledger.roket.source.password"),
                properties(c, "flowledger.roket.source.properties"), query, countQuery, fetch, idColumn, apiUrl, token,
                batch, concurrency, timeout, attempts, backoff, maxBackoff, onUncertain.equals("hold"), allowEmpty,
                lockTimeout, progress, batchTimeout, idle);
    }

    /** {@code name=value} pairs separated by commas (JDBC connection properties); values are never logged. */
    private static java.util.Map<String, String> properties(Config c, String key) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String pair : c.get(key).split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw c.invalid(key, "must be name=value pairs separated by commas (e.g. private_key_file=/keys/rsa.p8)");
            }
            out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return java.util.Map.copyOf(out);
    }

    private static Duration positive(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isZero() || d.isNegative()) {
            throw c.invalid(key, "must be more than zero");
        }
        return d;
    }

    /** The query with {@code :#date} as JDBC placeholders, and how many there are. */
    public String jdbcQuery() {
        return DATE_PARAM.matcher(sourceQuery).replaceAll("?");
    }

    /**
     * The query that counts the date's rows: {@code flowledger.roket.source.count-query} when given (a plain
     * {@code SELECT COUNT(*) ... WHERE d = :#date} a database answers from its index), else a count over the query.
     */
    public String jdbcCountQuery() {
        return countQuery.isEmpty() ? "SELECT COUNT(*) FROM (" + jdbcQuery() + ") roket_source"
                : DATE_PARAM.matcher(countQuery).replaceAll("?");
    }

    public int countParameterCount() {
        return countQuery.isEmpty() ? dateParameterCount() : count(countQuery);
    }

    public int dateParameterCount() {
        return count(sourceQuery);
    }

    private static int count(String sql) {
        Matcher m = DATE_PARAM.matcher(sql);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Override
    public String toString() {
        // Secrets never reach a log line through this record.
        return "RoketSettings[source=" + RoketSourceDb.safeUrl(sourceUrl) + ", api=" + apiUrl + ", batchSize=" + batchSize
                + ", concurrency=" + concurrency + "]";
    }
}
