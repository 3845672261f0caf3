package routes.cubic;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import routes.app.Config;

/** The cubic-ingestion keys of {@code flowledger.cubic.*}, read and checked once. */
public record CubicSettings(String incomingBucket, String springboardBucket, String archiveBucket, String errorBucket,
                            Map<String, String> tables, Duration pollInterval, Duration workInterval, Duration lease,
                            int batchSize, String instanceId, Path tempDir, long rowGroupBytes) {

    public static final String PREFIX = "cubic/";

    public static CubicSettings from(Config c) {
        String incoming = bucket(c, "flowledger.cubic.incoming-bucket");
        String springboard = bucket(c, "flowledger.cubic.springboard-bucket");
        String archive = bucket(c, "flowledger.cubic.archive-bucket");
        String error = bucket(c, "flowledger.cubic.error-bucket");
        if (archive.equals(incoming) || error.equals(incoming)) {
            throw c.invalid("flowledger.cubic.archive-bucket",
                    "and flowledger.cubic.error-bucket must differ from flowledger.cubic.incoming-bucket");
        }
        Map<String, String> tables = parseTables(c);
        Duration poll = positive(c, "flowledger.cubic.poll-interval");
        Duration work = positive(c, "flowledger.cubic.work-interval");
        Duration lease = positive(c, "flowledger.cubic.lease");
        int batch = c.getInt("flowledger.cubic.batch-size", 1, 10_000);
        String instance = c.get("flowledger.cubic.instance-id");
        if (instance.isEmpty()) {
            instance = defaultInstanceId();
        }
        String dir = c.get("flowledger.cubic.temp-dir");
        Path temp = Path.of(dir.isEmpty() ? System.getProperty("java.io.tmpdir") : dir);
        if (!Files.isDirectory(temp)) {
            throw c.invalid("flowledger.cubic.temp-dir", "is not a directory");
        }
        int rowGroupMb = c.getInt("flowledger.cubic.parquet.row-group-mb", 1, 1024);
        return new CubicSettings(incoming, springboard, archive, error, tables, poll, work, lease, batch, instance, temp,
                rowGroupMb * 1024L * 1024L);
    }

    private static String bucket(Config c, String key) {
        String b = c.require(key);
        if (!b.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw c.invalid(key, "is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')");
        }
        return b;
    }

    private static Duration positive(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isZero() || d.isNegative()) {
            throw c.invalid(key, "must be a positive duration");
        }
        return d;
    }

    /** {@code name=prefix} pairs; each prefix lies under {@code cubic/} and ends with '/'. */
    static Map<String, String> parseTables(Config c) {
        String key = "flowledger.cubic.tables";
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : c.get(key).split(",")) {
            String p = pair.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw c.invalid(key, "must be name=prefix pairs separated by commas "
                        + "(cubic__dmap__agg_sample=cubic/dmap/agg_sample/)");
            }
            String name = p.substring(0, eq).trim();
            String prefix = p.substring(eq + 1).trim();
            String problem = CubicTables.checkRegistration(name, prefix);
            if (problem != null) {
                throw c.invalid(key, problem);
            }
            out.put(name, prefix);
        }
        return out;
    }

    static String defaultInstanceId() {
        // pid@host/tag: a crashed instance's leases are taken over at once by an instance on the same host.
        return routes.common.ClaimOwner.current(Integer.toHexString(System.identityHashCode(new Object())));
    }

    /** For route timers: {{bean:cubicSettings.pollIntervalMs}}. */
    public long pollIntervalMs() {
        return pollInterval.toMillis();
    }

    public long workIntervalMs() {
        return workInterval.toMillis();
    }
}
