package routes.cubic;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Discovery: lists the incoming bucket under {@code cubic/} page by page and inserts each new object of a
 * registered table as a {@code ready} load (idempotent: unique on key and modified time, so two instances listing
 * at once insert it once). A {@code LOAD...1.csv.gz} with a new modified time starts a new ODS snapshot; every ODS
 * load is linked to the snapshot current when it is discovered. Objects under no registered prefix are reported
 * once each (log, metric, status message) and never ingested.
 */
public class CubicDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(CubicDiscovery.class);
    /** The first file of an ODS full load: LOAD001.csv.gz, LOAD00000001.csv.gz. */
    static final Pattern SNAPSHOT_FILE = Pattern.compile("LOAD0*1\\.csv(\\.gz)?");
    static final Pattern LOAD_FILE = Pattern.compile("LOAD\\d+\\.csv(\\.gz)?");
    public static final String STAGE = "CUBIC_DISCOVER";

    /** What one poll found. */
    public record Summary(int listed, int newLoads, int newSnapshots, int unknown) {
    }

    private final DataSource ds;
    private final S3Client s3;
    private final CubicSettings settings;
    private final CubicTables tables;
    private final LoadStateMachine states;
    private final Consumer<StatusEvent> status;
    private final CubicMetrics metrics;
    private final int pageSize;

    public CubicDiscovery(DataSource ds, S3Client s3, CubicSettings settings, CubicTables tables, LoadStateMachine states,
                          Consumer<StatusEvent> status, CubicMetrics metrics, int pageSize) {
        this.ds = ds;
        this.s3 = s3;
        this.settings = settings;
        this.tables = tables;
        this.states = states;
        this.status = status;
        this.metrics = metrics;
        this.pageSize = pageSize;
    }

    public Summary poll() {
        List<CubicTables.Table> known = tables.all();
        int listed = 0;
        int loads = 0;
        int snapshots = 0;
        int unknown = 0;
        String token = null;
        do {
            ListObjectsV2Request.Builder req = ListObjectsV2Request.builder().bucket(settings.incomingBucket())
                    .prefix(CubicSettings.PREFIX).maxKeys(pageSize);
            if (token != null) {
                req.continuationToken(token);
            }
            ListObjectsV2Response page = s3.listObjectsV2(req.build());
            List<S3Object> objects = new ArrayList<>();
            for (S3Object o : page.contents()) {
                // Some stores (S3Proxy's filesystem provider) list directory markers as objects.
                if (!o.key().endsWith("/")) {
                    objects.add(o);
                }
            }
            listed += objects.size();
            int[] r = registerPage(known, objects);
            loads += r[0];
            snapshots += r[1];
            unknown += r[2];
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        if (loads > 0 || unknown > 0) {
            LOG.info("Discovery: {} object(s) listed, {} new load(s), {} new snapshot(s), {} under no registered prefix",
                    listed, loads, snapshots, unknown);
        }
        return new Summary(listed, loads, snapshots, unknown);
    }

    private int[] registerPage(List<CubicTables.Table> known, List<S3Object> objects) {
        Map<String, CubicTables.Table> owners = new HashMap<>();
        List<S3Object> unknownObjects = new ArrayList<>();
        for (S3Object o : objects) {
            CubicTables.Table t = CubicTables.owner(known, o.key()).orElse(null);
            if (t == null) {
                unknownObjects.add(o);
            } else {
                owners.put(o.key(), t);
            }
        }
        int unknown = reportUnknown(unknownObjects);
        List<S3Object> candidates = objects.stream().filter(o -> owners.containsKey(o.key())).toList();
        if (candidates.isEmpty()) {
            return new int[] {0, 0, unknown};
        }
        Set<String> skip = alreadyKnown(candidates);
        List<S3Object> fresh = new ArrayList<>(candidates.stream().filter(o -> !skip.contains(id(o.key(), modified(o)))
                && !skip.contains(o.key())).toList());
        // Snapshot files first (they open the snapshot the rest link to), then LOAD files, then by modified time.
        fresh.sort(Comparator.comparingInt((S3Object o) -> SNAPSHOT_FILE.matcher(fileName(o.key())).matches() ? 0 : 1)
                .thenComparingInt(o -> LOAD_FILE.matcher(fileName(o.key())).matches() ? 0 : 1)
                .thenComparing(CubicDiscovery::modified).thenComparing(S3Object::key));
        // One transaction per page: a few commits for thousands of objects. Another instance inserting the same
        // objects at once waits on the unique key and then skips them (ON CONFLICT DO NOTHING).
        List<Object[]> created = new ArrayList<>();
        int snapshots = Sql.tx(ds, c -> {
            int snaps = 0;
            for (S3Object o : fresh) {
                CubicTables.Table t = owners.get(o.key());
                CubicTables.Table group = t;
                if (t.isChangeTable()) {
                    group = CubicTables.owner(known, t.snapshotPrefix())
                            .filter(p -> p.prefix().equals(t.snapshotPrefix())).orElse(t);
                }
                long[] r = insert(c, t, group, o);
                snaps += (int) r[1];
                if (r[0] > 0) {
                    created.add(new Object[] {r[0], o, t});
                }
            }
            return snaps;
        });
        for (Object[] x : created) {
            S3Object o = (S3Object) x[1];
            metrics.created();
            status.accept(StatusEvent.recordStatus("cubic-load-" + x[0], o.key(), modified(o).toString(), STAGE,
                    StatusEvent.State.SUCCESS, "discovered as a load of " + ((CubicTables.Table) x[2]).name() + ": ready", null));
        }
        return new int[] {created.size(), snapshots, unknown};
    }

    /** Keys with a load at the listed modified time, and keys with a load still in flight (not archived/errored). */
    private Set<String> alreadyKnown(List<S3Object> objects) {
        return Sql.run(ds, c -> {
            Set<String> out = new HashSet<>();
            StringBuilder in = new StringBuilder();
            for (int i = 0; i < objects.size(); i++) {
                in.append(i == 0 ? "?" : ",?");
            }
            try (PreparedStatement ps = Sql.prepare(c, "SELECT s3_key, s3_modified, status FROM cubic_loads WHERE s3_key IN ("
                    + in + ")", objects.stream().map(S3Object::key).toArray())) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String key = rs.getString(1);
                        out.add(id(key, Sql.time(rs, "s3_modified")));
                        if (!LoadStatus.of(rs.getString(3)).isTerminal()) {
                            out.add(key);
                        }
                    }
                }
            }
            return out;
        });
    }

    /** Inserts one object's load (and snapshot); returns {load id or 0 when it existed, 1 if a new snapshot}. */
    private long[] insert(Connection c, CubicTables.Table table, CubicTables.Table group, S3Object o) throws SQLException {
        Instant modified = modified(o);
        boolean snapshotFile = group.isOds() && !table.isChangeTable() && SNAPSHOT_FILE.matcher(fileName(o.key())).matches();
        int kindRank = group.isOds() && !table.isChangeTable() && LOAD_FILE.matcher(fileName(o.key())).matches() ? 0 : 1;
        Instant now = Instant.now();
        int newSnapshot = 0;
        if (snapshotFile) {
            newSnapshot = Sql.update(c, "INSERT INTO cubic_table_ods_snapshots (table_id, snapshot, snapshot_s3_key, created_at)"
                    + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", group.id(), modified, o.key(), now);
        }
        int inserted = Sql.update(c, "INSERT INTO cubic_loads (table_id, group_id, kind_rank, status, s3_key, s3_modified,"
                + " s3_size, created_at, updated_at) VALUES (?, ?, ?, 'ready', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                table.id(), group.id(), kindRank, o.key(), modified, o.size(), now, now);
        if (inserted == 0) {
            return new long[] {0, newSnapshot};
        }
        long loadId;
        try (PreparedStatement ps = Sql.prepare(c, "SELECT id FROM cubic_loads WHERE s3_key = ? AND s3_modified = ?",
                o.key(), modified); ResultSet rs = ps.executeQuery()) {
            rs.next();
            loadId = rs.getLong(1);
        }
        if (group.isOds()) {
            Instant snapshot = currentSnapshot(c, group.id());
            if (snapshot != null) {
                Sql.update(c, "INSERT INTO cubic_load_ods_snapshots (load_id, snapshot) VALUES (?, ?)", loadId, snapshot);
            }
        }
        states.recordCreated(c, loadId, now, "discovered s3://" + settings.incomingBucket() + "/" + o.key());
        return new long[] {loadId, newSnapshot};
    }

    private static Instant currentSnapshot(Connection c, long tableId) throws SQLException {
        try (PreparedStatement ps = Sql.prepare(c, "SELECT MAX(snapshot) FROM cubic_table_ods_snapshots WHERE table_id = ?", tableId);
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            java.time.LocalDateTime t = rs.getObject(1, java.time.LocalDateTime.class);
            return t == null ? null : t.toInstant(java.time.ZoneOffset.UTC);
        }
    }

    private int reportUnknown(List<S3Object> objects) {
        int reported = 0;
        Instant now = Instant.now();
        for (S3Object o : objects) {
            Instant modified = modified(o);
            int inserted = Sql.run(ds, c -> Sql.update(c, "INSERT INTO cubic_unknown_objects (s3_key, s3_modified, s3_size,"
                    + " first_seen) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", o.key(), modified, o.size(), now));
            if (inserted == 1) {
                reported++;
                metrics.unknownObject();
                LOG.warn("s3://{}/{} is under no registered Cubic table prefix: not ingested (register its table with "
                        + "flowledger.cubic.tables, the cubic-tables command or POST /api/cubic/tables)",
                        settings.incomingBucket(), o.key());
                status.accept(StatusEvent.recordStatus("cubic-unknown-objects", o.key(), modified.toString(), STAGE,
                        StatusEvent.State.SKIPPED, "object under no registered table prefix: not ingested", null));
            }
        }
        return reported;
    }

    static Instant modified(S3Object o) {
        // Microseconds are all the ledger's TIMESTAMP keeps on every database.
        return o.lastModified().truncatedTo(ChronoUnit.MICROS);
    }

    private static String id(String key, Instant modified) {
        return key + "@" + modified;
    }

    private static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
