package routes.cubic;

import static routes.cubic.LoadStatus.ARCHIVED;
import static routes.cubic.LoadStatus.ARCHIVING;
import static routes.cubic.LoadStatus.ERRORED;
import static routes.cubic.LoadStatus.ERRORING;
import static routes.cubic.LoadStatus.INGESTING;
import static routes.cubic.LoadStatus.READY;
import static routes.cubic.LoadStatus.READY_FOR_ARCHIVING;
import static routes.cubic.LoadStatus.READY_FOR_ERRORING;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;

/**
 * The load state machine of ADR 5. Every allowed move is one {@link Transition}; each is a single guarded update
 * ({@code UPDATE cubic_loads SET status=? ... WHERE id=? AND status=?}, plus the owner for moves out of a claimed
 * status) and a row of {@code cubic_load_transitions}, in one transaction. One affected row means this instance
 * made the move; zero means another instance did (or the lease was lost), and nothing happens. That is the only
 * coordination between instances.
 */
public class LoadStateMachine {

    /** Every allowed move, and nothing else. */
    public enum Transition {
        /** Take a ready load for ingesting. */
        CLAIM_INGEST(READY, INGESTING, Guard.CLAIM),
        /** Ingest wrote the springboard output. */
        INGESTED(INGESTING, READY_FOR_ARCHIVING, Guard.OWNER),
        /** Ingest refused the load (bad header, corrupt file, ...). */
        INGEST_FAILED(INGESTING, READY_FOR_ERRORING, Guard.OWNER),
        CLAIM_ARCHIVE(READY_FOR_ARCHIVING, ARCHIVING, Guard.CLAIM),
        ARCHIVE_DONE(ARCHIVING, ARCHIVED, Guard.OWNER),
        CLAIM_ERROR(READY_FOR_ERRORING, ERRORING, Guard.CLAIM),
        ERROR_DONE(ERRORING, ERRORED, Guard.OWNER),
        /** A load whose owner let its lease expire (crashed) is taken up again where it stopped. */
        RETAKE_INGEST(INGESTING, INGESTING, Guard.EXPIRED),
        RETAKE_ARCHIVE(ARCHIVING, ARCHIVING, Guard.EXPIRED),
        RETAKE_ERROR(ERRORING, ERRORING, Guard.EXPIRED),
        /** An operator retries an errored load (its object is back in the incoming bucket). */
        RETRY(ERRORED, READY, Guard.NONE);

        final LoadStatus from;
        final LoadStatus to;
        final Guard guard;

        Transition(LoadStatus from, LoadStatus to, Guard guard) {
            this.from = from;
            this.to = to;
            this.guard = guard;
        }

        public LoadStatus from() {
            return from;
        }

        public LoadStatus to() {
            return to;
        }
    }

    /** What, besides the status, a move is guarded by. */
    enum Guard {
        /** Nobody holds the load (a resting status): the status alone decides. */
        CLAIM,
        /** Only the instance holding the load may move it on. */
        OWNER,
        /** Only once the holder's lease ran out. */
        EXPIRED,
        NONE
    }

    private static final Logger LOG = LoggerFactory.getLogger(LoadStateMachine.class);

    static final String SELECT = "SELECT l.id, l.table_id, t.name AS table_name, t.s3_prefix, t.columns, l.status, l.s3_key,"
            + " l.s3_modified, l.s3_size, s.snapshot, l.attempts, l.error_reason, l.record_count, l.output_key"
            + " FROM cubic_loads l JOIN cubic_tables t ON t.id = l.table_id"
            + " LEFT JOIN cubic_load_ods_snapshots s ON s.load_id = l.id";

    private final DataSource ds;
    private final String instance;
    /** The owner an errored load carries while an operator's retry copies its object back (see markRetrying). */
    static final String RETRYING_OWNER = "api-retry";

    private final Duration lease;
    private volatile Consumer<Transition> listener = t -> { };

    public LoadStateMachine(DataSource ds, String instance, Duration lease) {
        this.ds = ds;
        this.instance = instance;
        this.lease = lease;
    }

    public String instance() {
        return instance;
    }

    /** Called after every move this instance made (metrics). */
    public void onTransition(Consumer<Transition> l) {
        this.listener = l;
    }

    /**
     * Makes the move if the load is still where the move starts (and, by its guard, held by this instance or
     * abandoned). Returns true when this instance made it.
     */
    public boolean apply(long loadId, Transition t, String reason) {
        return apply(loadId, t, reason, null, null);
    }

    /** As {@link #apply(long, Transition, String)}, recording the ingest's output on {@link Transition#INGESTED}. */
    public boolean apply(long loadId, Transition t, String reason, Long recordCount, String outputKey) {
        Instant now = Instant.now();
        boolean moved = Sql.tx(ds, c -> {
            StringBuilder sql = new StringBuilder("UPDATE cubic_loads SET status = ?, updated_at = ?");
            List<Object> args = new ArrayList<>(List.of(t.to.db(), now));
            if (t.to.isTerminal() || t.to == READY || t.to == READY_FOR_ARCHIVING || t.to == READY_FOR_ERRORING) {
                sql.append(", owner = NULL, lease_until = NULL");
            } else {
                sql.append(", owner = ?, lease_until = ?");
                args.add(instance);
                args.add(now.plus(lease));
            }
            if (t == Transition.CLAIM_INGEST || t == Transition.RETAKE_INGEST) {
                sql.append(", attempts = attempts + 1");
            }
            if (t == Transition.INGEST_FAILED) {
                sql.append(", error_reason = ?");
                args.add(Sql.truncate(reason, 4000));
            }
            if (t == Transition.RETRY) {
                sql.append(", error_reason = NULL");
            }
            if (t == Transition.INGESTED) {
                sql.append(", record_count = ?, output_key = ?, error_reason = NULL");
                args.add(recordCount);
                args.add(outputKey);
            }
            sql.append(" WHERE id = ? AND status = ?");
            args.add(loadId);
            args.add(t.from.db());
            switch (t.guard) {
                case OWNER -> {
                    sql.append(" AND owner = ?");
                    args.add(instance);
                }
                case EXPIRED -> {
                    sql.append(" AND lease_until < ?");
                    args.add(now);
                }
                default -> { }
            }
            if (Sql.update(c, sql.toString(), args.toArray()) != 1) {
                return false;
            }
            Sql.update(c, "INSERT INTO cubic_load_transitions (load_id, from_status, to_status, at, instance, reason)"
                    + " VALUES (?, ?, ?, ?, ?, ?)", loadId, t.from.db(), t.to.db(), now, instance, Sql.truncate(reason, 4000));
            return true;
        });
        if (moved) {
            listener.accept(t);
        }
        return moved;
    }

    /**
     * Marks an errored load as being retried by an operator before its object is copied back to incoming, so that
     * discovery, listing the restored object, knows it belongs to this load and does not insert it as a new one.
     * False when the load is not errored or another retry holds it.
     */
    public boolean markRetrying(long loadId, Duration hold) {
        Instant now = Instant.now();
        return Sql.run(ds, c -> Sql.update(c, "UPDATE cubic_loads SET owner = ?, lease_until = ?, updated_at = ?"
                + " WHERE id = ? AND status = ? AND (owner IS NULL OR lease_until IS NULL OR lease_until < ?)",
                RETRYING_OWNER, now.plus(hold), now, loadId, LoadStatus.ERRORED.db(), now) == 1);
    }

    /** Gives up an operator's retry mark when the object could not be copied back. */
    public void clearRetrying(long loadId) {
        Sql.run(ds, c -> Sql.update(c, "UPDATE cubic_loads SET owner = NULL, lease_until = NULL WHERE id = ? AND status = ?"
                + " AND owner = ?", loadId, LoadStatus.ERRORED.db(), RETRYING_OWNER));
    }

    /**
     * errored to ready for an operator's retry, with the object's new modified time in incoming (it was copied back),
     * so discovery does not take the restored object for a new load.
     */
    public boolean retry(long loadId, Instant newModified, String reason) {
        Instant now = Instant.now();
        Transition t = Transition.RETRY;
        boolean moved = Sql.tx(ds, c -> {
            if (Sql.update(c, "UPDATE cubic_loads SET status = ?, s3_modified = ?, error_reason = NULL, owner = NULL,"
                    + " lease_until = NULL, updated_at = ? WHERE id = ? AND status = ?",
                    t.to.db(), newModified.truncatedTo(java.time.temporal.ChronoUnit.MICROS), now, loadId, t.from.db()) != 1) {
                return false;
            }
            Sql.update(c, "INSERT INTO cubic_load_transitions (load_id, from_status, to_status, at, instance, reason)"
                    + " VALUES (?, ?, ?, ?, ?, ?)", loadId, t.from.db(), t.to.db(), now, instance, reason);
            return true;
        });
        if (moved) {
            listener.accept(t);
        }
        return moved;
    }

    /** Records a load's creation in its history (called in the discovering transaction). */
    void recordCreated(Connection c, long loadId, Instant at, String reason) throws SQLException {
        Sql.update(c, "INSERT INTO cubic_load_transitions (load_id, from_status, to_status, at, instance, reason)"
                + " VALUES (?, NULL, ?, ?, ?, ?)", loadId, READY.db(), at, instance, reason);
    }

    /** Extends this instance's hold on a load it is working on; false when it no longer holds it. */
    public boolean renewLease(long loadId, LoadStatus status) {
        Instant now = Instant.now();
        return Sql.run(ds, c -> Sql.update(c, "UPDATE cubic_loads SET lease_until = ?, updated_at = ?"
                + " WHERE id = ? AND status = ? AND owner = ?", now.plus(lease), now, loadId, status.db(), instance) == 1);
    }

    /**
     * The work this instance takes on now, at most {@code max} loads, as units: the loads of one unit are worked
     * through one after the other in the unit's order, units in parallel. First loads whose holder's lease ran out
     * (taken up where they stopped; an ODS table's in order, as one unit), then loads waiting for archiving or
     * erroring (a unit each), then ready loads: an ODS table group's ready loads as one unit in order (snapshot
     * LOAD files before change files, then by modified time), claimed only while none of the group is being
     * ingested; DMAP and Kafka loads have no order between them, a unit each.
     */
    public List<List<CubicLoad>> claimUnits(int max) {
        List<List<CubicLoad>> units = new ArrayList<>();
        int[] budget = {max};
        endLeasesOfDeadHolders();
        Instant now = Instant.now();
        // Expired claims, in each group's order, so an ODS group is taken up again as one ordered unit.
        List<long[]> expired = ids("SELECT l.id, l.group_id, " + ODS + " FROM cubic_loads l JOIN cubic_tables g ON g.id = l.group_id"
                + " WHERE l.status IN ('ingesting', 'archiving', 'erroring') AND l.lease_until < ?"
                + " ORDER BY l.group_id, l.kind_rank, l.s3_modified, l.id", max * 2, now);
        Map<Long, List<CubicLoad>> odsRetaken = new java.util.LinkedHashMap<>();
        for (long[] e : expired) {
            if (budget[0] <= 0) {
                break;
            }
            Transition t = retakeFor(e[0]);
            if (t != null && apply(e[0], t, "lease expired: the previous holder stopped; taken up again")) {
                budget[0]--;
                CubicLoad l = find(e[0]).orElseThrow();
                if (e[2] == 1 && t == Transition.RETAKE_INGEST) {
                    odsRetaken.computeIfAbsent(e[1], g -> new ArrayList<>()).add(l);
                } else {
                    units.add(List.of(l));
                }
            }
        }
        units.addAll(odsRetaken.values());
        for (long[] e : ids("SELECT id FROM cubic_loads WHERE status = 'ready_for_erroring' ORDER BY id", max * 2, null)) {
            claimOne(units, budget, e[0], Transition.CLAIM_ERROR);
        }
        for (long[] e : ids("SELECT id FROM cubic_loads WHERE status = 'ready_for_archiving' ORDER BY id", max * 2, null)) {
            claimOne(units, budget, e[0], Transition.CLAIM_ARCHIVE);
        }
        // Ready loads of groups with none being ingested, each group's in its order.
        List<long[]> ready = ids("SELECT l.id, l.group_id, " + ODS + " FROM cubic_loads l JOIN cubic_tables g ON g.id = l.group_id"
                + " WHERE l.status = 'ready'"
                // An ODS group is claimed only while none of it is being ingested (g is the load's group).
                + " AND NOT (g.s3_prefix LIKE 'cubic/ods_qlik/%' AND EXISTS (SELECT 1 FROM cubic_loads o"
                + "   WHERE o.group_id = l.group_id AND o.status = 'ingesting'))"
                + " ORDER BY l.group_id, l.kind_rank, l.s3_modified, l.id", max * 4, null);
        Map<Long, List<Long>> odsGroups = new java.util.LinkedHashMap<>();
        List<Long> unordered = new ArrayList<>();
        for (long[] r : ready) {
            if (r[2] == 1) {
                odsGroups.computeIfAbsent(r[1], g -> new ArrayList<>()).add(r[0]);
            } else {
                unordered.add(r[0]);
            }
        }
        for (List<Long> group : odsGroups.values()) {
            if (budget[0] <= 0) {
                break;
            }
            List<CubicLoad> unit = claimInOrder(group, budget);
            if (!unit.isEmpty()) {
                units.add(unit);
            }
        }
        for (long id : unordered) {
            claimOne(units, budget, id, Transition.CLAIM_INGEST);
        }
        return units;
    }

    /** 1 when a load's group is an ODS table (its loads keep their order), else 0. */
    private static final String ODS = "CASE WHEN g.s3_prefix LIKE 'cubic/ods_qlik/%' THEN 1 ELSE 0 END";

    private void claimOne(List<List<CubicLoad>> units, int[] budget, long id, Transition t) {
        if (budget[0] > 0 && apply(id, t, null)) {
            budget[0]--;
            find(id).ifPresent(l -> units.add(List.of(l)));
        }
    }

    /**
     * Claims an ODS group's ready loads in order, stopping at the first one another instance took: whoever wins the
     * group's first ready load holds a run of the group from its start, so the order holds across instances.
     */
    private List<CubicLoad> claimInOrder(List<Long> group, int[] budget) {
        List<CubicLoad> unit = new ArrayList<>();
        for (long id : group) {
            if (budget[0] <= 0 || !apply(id, Transition.CLAIM_INGEST, null)) {
                break;
            }
            budget[0]--;
            find(id).ifPresent(unit::add);
        }
        return unit;
    }

    private List<long[]> ids(String query, int limit, Instant param) {
        return Sql.run(ds, c -> {
            List<long[]> r = new ArrayList<>();
            try (PreparedStatement ps = param == null ? c.prepareStatement(query) : Sql.prepare(c, query, param)) {
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        long[] row = new long[3];
                        for (int i = 0; i < cols; i++) {
                            row[i] = rs.getLong(i + 1);
                        }
                        r.add(row);
                    }
                }
            }
            return r;
        });
    }

    /**
     * A holder that was a process of this host and no longer exists (kill -9, crash) will never renew its leases:
     * they end now, so the retake below takes its loads up at once instead of after flowledger.cubic.lease.
     */
    private void endLeasesOfDeadHolders() {
        List<String> holders = Sql.run(ds, c -> {
            List<String> r = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT DISTINCT owner FROM cubic_loads WHERE status IN"
                    + " ('ingesting', 'archiving', 'erroring') AND owner IS NOT NULL AND owner <> ? AND lease_until >= ?",
                    instance, Instant.now()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    r.add(rs.getString(1));
                }
            }
            return r;
        });
        for (String holder : holders) {
            Optional<String> dead = ClaimOwner.deadOnThisHost(holder);
            if (dead.isPresent()) {
                Instant ended = Instant.now().minusMillis(1);
                int n = Sql.run(ds, c -> Sql.update(c, "UPDATE cubic_loads SET lease_until = ? WHERE owner = ?"
                        + " AND status IN ('ingesting', 'archiving', 'erroring') AND lease_until > ?", ended, holder, ended));
                LOG.warn("cubic-ingestion: taking over the claims of {} ({} load(s)): {}", holder, n, dead.get());
            }
        }
    }

    private Transition retakeFor(long id) {
        LoadStatus s = find(id).map(CubicLoad::status).orElse(READY);
        return switch (s) {
            case INGESTING -> Transition.RETAKE_INGEST;
            case ARCHIVING -> Transition.RETAKE_ARCHIVE;
            case ERRORING -> Transition.RETAKE_ERROR;
            default -> null;
        };
    }

    public Optional<CubicLoad> find(long id) {
        return Sql.run(ds, c -> {
            try (PreparedStatement ps = Sql.prepare(c, SELECT + " WHERE l.id = ?", id); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        });
    }

    static CubicLoad read(ResultSet rs) throws SQLException {
        long rc = rs.getLong("record_count");
        Long records = rs.wasNull() ? null : rc;
        return new CubicLoad(rs.getLong("id"), rs.getLong("table_id"), rs.getString("table_name"), rs.getString("s3_prefix"),
                rs.getString("columns"), LoadStatus.of(rs.getString("status")), rs.getString("s3_key"),
                Sql.time(rs, "s3_modified"), rs.getLong("s3_size"), Sql.time(rs, "snapshot"), rs.getInt("attempts"),
                rs.getString("error_reason"), records, rs.getString("output_key"));
    }
}
