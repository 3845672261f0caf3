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
import org.apache.camel.Exchange;
import software.amazon.awssdk.services.s3.model.ListObjectsRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Discovery: the cubic-ingestion route lists the incoming bucket under {@code cubic/} page by page (aws2-s3
 * {@code listObjects}) and hands each page here, which inserts each new object of a
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
    private final CubicSettings settings;
    private final CubicTables tables;
    private final LoadStateMachine states;
    private final Consumer<StatusEvent> status;
    private final CubicMetrics metrics;
    private final int pageSize;
    private final routes.common.lineage.Lineage lineage;

    public CubicDiscovery(DataSource ds, CubicSettings settings, CubicTables tables, LoadStateMachine states,
                          Consumer<StatusEvent> status, CubicMetrics metrics, int pageSize,
                          routes.common.lineage.Lineage lineage) {
        this.lineage = lineage;
        this.ds = ds;
        this.settings = settings;
        this.tables = tables;
        this.states = states;
        this.status = status;
        this.metrics = metrics;
        this.pageSize = pageSize;
    }

    /** Exchange properties of one listing round: the page's marker, whether more pages follow, the running summary. */
    public static final String MARKER = "cubicListMarker";
    public static final String MORE = "cubicListMore";
    public static final String SUMMARY = "cubicListSummary";

    /**
     * The next page's request for the route's aws2-s3 {@code listObjects} (listing only: nothing is downloaded),
     * under {@code cubic/} so tables registered while running are found without a new poller.
     */
    public ListObjectsRequest listRequest(Exchange exchange) {
        String marker = exchange.getProperty(MARKER, String.class);
        ListObjectsRequest.Builder req = ListObjectsRequest.builder().bucket(settings.incomingBucket())
                .prefix(CubicSettings.PREFIX).maxKeys(pageSize);
        if (marker != null) {
            req.marker(marker);
        }
        return req.build();
    }

    /**
     * One listed page: each new object of a registered table becomes a ready load (idempotent insert on key and
     * modified time). A full page means more may follow: the route lists again from its last key.
     */
    public Summary registerPage(List<S3Object> page, Exchange exchange) {
        List<CubicTables.Table> known = tables.all();
        List<S3Object> objects = new ArrayList<>();
        for (S3Object o : page) {
            // Some stores (S3Proxy's filesystem provider) list directory markers as objects.
            if (!o.key().endsWith("/")) {
                objects.add(o);
            }
        }
        int[] r = registerPage(known, objects);
        return summarise(exchange, page, objects, r);
    }

    /** Registers listed objects as loads (what one page does), outside a listing round. */
    public Summary register(List<S3Object> objects) {
        int[] r = registerPage(tables.all(), objects.stream().filter(o -> !o.key().endsWith("/")).toList());
        return new Summary(objects.size(), r[0], r[1], r[2]);
    }

    private Summary summarise(Exchange exchange, List<S3Object> page, List<S3Object> objects, int[] r) {
        Summary before = exchange.getProperty(SUMMARY, Summary.class);
        Summary sum = before == null ? new Summary(0, 0, 0, 0) : before;
        sum = new Summary(sum.listed() + objects.size(), sum.newLoads() + r[0], sum.newSnapshots() + r[1], sum.unknown() + r[2]);
        exchange.setProperty(SUMMARY, sum);
        boolean more = page.size() >= pageSize;
        exchange.setProperty(MORE, more);
        exchange.setProperty(MARKER, page.isEmpty() ? null : page.get(page.size() - 1).key());
        if (!more) {
            exchange.removeProperty(MARKER);
            exchange.removeProperty(SUMMARY);
            if (sum.newLoads() > 0 || sum.unknown() > 0) {
                LOG.info("Discovery: {} object(s) listed, {} new load(s), {} new snapshot(s), {} under no registered prefix",
                        sum.listed(), sum.newLoads(), sum.newSnapshots(), sum.unknown());
            }
        }
        return sum;
    }

    /**
     * An object this instance just wrote to incoming (Kafka batcher, DMAP fetch), listed by its key and registered at
     * once, so its load row exists before the writer confirms (the batcher commits its offsets only after this).
     * Listed rather than HEADed: the modified time must be the listing's, the one discovery sees.
     */
    public void registerWritten(String key, List<S3Object> listed) {
        List<S3Object> it = listed.stream().filter(o -> o.key().equals(key)).toList();
        if (it.isEmpty()) {
            throw new IllegalStateException("s3://" + settings.incomingBucket() + "/" + key + " was written but is not listed");
        }
        registerPage(tables.all(), it);
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
            // A load is a run of its table's job: described before its first status event (discovery's own).
            lineage.describe("cubic-load-" + x[0], CubicLineage.job(settings, (CubicTables.Table) x[2]));
            status.accept(StatusEvent.recordStatus("cubic-load-" + x[0], o.key(), modified(o).toString(), STAGE,
                    StatusEvent.State.SUCCESS, "discovered as a load of " + ((CubicTables.Table) x[2]).name() + ": ready", null));
        }
        return new int[] {created.size(), snapshots, unknown};
    }

    /** Keys with a load at the listed modified time, and keys with a load still in flight or being retried. */
    private Set<String> alreadyKnown(List<S3Object> objects) {
        return Sql.run(ds, c -> {
            Set<String> out = new HashSet<>();
            StringBuilder in = new StringBuilder();
            for (int i = 0; i < objects.size(); i++) {
                in.append(i == 0 ? "?" : ",?");
            }
            try (PreparedStatement ps = Sql.prepare(c, "SELECT s3_key, s3_modified, status, owner FROM cubic_loads WHERE s3_key IN ("
                    + in + ")", objects.stream().map(S3Object::key).toArray())) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String key = rs.getString(1);
                        out.add(id(key, Sql.time(rs, "s3_modified")));
                        // in flight, or errored and being copied back by an operator's retry (it keeps its row)
                        if (!LoadStatus.of(rs.getString(3)).isTerminal()
                                || LoadStateMachine.RETRYING_OWNER.equals(rs.getString(4))) {
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
