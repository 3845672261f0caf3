package routes.common.status;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;
import routes.common.Transactions;

/**
 * Writes status messages into the status store, one transaction per batch: the raw rows
 * ({@code dataset_details}, {@code status}; a repeated event id is a no-op) and, for the events that were new,
 * the summaries that queries read ({@code status_counter}, {@code status_stage}, {@code status_dataflow}), with
 * records done and failed counted once per record ({@link RecordTally}, {@code status_record}).
 * Every dataflow touched by a batch has its {@code status_dataflow} row locked first (in correlationId order),
 * so several writers never interleave on one dataflow and never deadlock.
 */
public final class StatusStore {

    private static final int CHUNK = 500;

    private final DataSource dataSource;
    private final Clock clock;

    public StatusStore(DataSource dataSource) {
        this(dataSource, Clock.systemUTC());
    }

    public StatusStore(DataSource dataSource, Clock clock) {
        this.dataSource = dataSource;
        this.clock = clock;
    }

    /** What a batch did: events stored, and events already stored before (redeliveries). */
    public record Result(int stored, int duplicates) {
    }

    private static final class Flow {
        final String id;
        Long recordCount;
        long recordsDone;
        long recordsFailed;
        String recordFailStage;
        Instant recordFailTs;
        Instant runFailedTs;
        long recordsFailedSince;
        boolean recountSince;
        Instant firstTs;
        Instant lastTs;
        String failStage;
        String failMessage;
        Integer failCode;
        Instant failTs;
        final Map<String, DataflowRules.Stage> stages = new TreeMap<>();
        final Map<String, DataflowRules.Stage> changedStages = new TreeMap<>();
        final Map<String, Map<String, Long>> deltas = new TreeMap<>();
        boolean detailsChanged;

        Flow(String id) {
            this.id = id;
        }

        void seen(Instant ts) {
            firstTs = firstTs == null || ts.isBefore(firstTs) ? ts : firstTs;
            lastTs = lastTs == null || ts.isAfter(lastTs) ? ts : lastTs;
        }
    }

    /** Stores the events (already checked: see {@link StatusCodec}). */
    public Result persist(Collection<StatusEvent> batch) throws SQLException {
        Map<String, StatusEvent> byId = new LinkedHashMap<>();
        for (StatusEvent e : batch) {
            byId.putIfAbsent(e.properties().eventId(), e);
        }
        if (byId.isEmpty()) {
            return new Result(0, 0);
        }
        TreeSet<String> ids = new TreeSet<>();
        for (StatusEvent e : byId.values()) {
            ids.add(e.properties().correlationId());
        }
        Instant now = clock.instant();
        return Transactions.inTransaction(dataSource, c -> {
            Map<String, Flow> flows = lockFlows(c, ids, now);
            List<StatusEvent> fresh = insertRaw(c, byId.values(), now);
            loadSummaries(c, flows, fresh);
            for (StatusEvent e : fresh) {
                apply(flows.get(e.properties().correlationId()), e);
            }
            // Done and failed count each record once, whichever stages report it (see RecordTally).
            RecordTally.count(c, isPostgres(c), fresh, now).forEach((id, d) -> {
                flows.get(id).recordsDone += d.done;
                flows.get(id).recordsFailed += d.failed;
            });
            writeSummaries(c, flows, now);
            return new Result(fresh.size(), byId.size() - fresh.size());
        });
    }

    private Map<String, Flow> lockFlows(Connection c, TreeSet<String> ids, Instant now) throws SQLException {
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO status_dataflow (correlation_id, state, finished, "
                + "records_done, records_failed, updated_at) VALUES (?, 'RUNNING', FALSE, 0, 0, ?) ON CONFLICT DO NOTHING")) {
            for (String id : ids) {
                ins.setString(1, id);
                ins.setObject(2, odt(now));
                ins.addBatch();
            }
            ins.executeBatch();
        }
        Map<String, Flow> flows = new TreeMap<>();
        for (List<String> chunk : chunks(ids)) {
            String sql = "SELECT correlation_id, record_count, records_failed, first_ts, last_ts, last_failure_stage, "
                    + "last_failure_message, last_failure_code, run_failed_ts, records_failed_since, records_done, "
                    + "record_failure_stage, record_failure_ts "
                    + "FROM status_dataflow WHERE correlation_id IN ("
                    + marks(chunk.size()) + ") ORDER BY correlation_id FOR UPDATE";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Flow f = new Flow(rs.getString(1));
                        long rc = rs.getLong(2);
                        f.recordCount = rs.wasNull() ? null : rc;
                        f.recordsFailed = rs.getLong(3);
                        f.firstTs = instant(rs, 4);
                        f.lastTs = instant(rs, 5);
                        f.failStage = rs.getString(6);
                        f.failMessage = rs.getString(7);
                        int code = rs.getInt(8);
                        f.failCode = rs.wasNull() ? null : code;
                        f.runFailedTs = instant(rs, 9);
                        f.recordsFailedSince = rs.getLong(10);
                        f.recordsDone = rs.getLong(11);
                        f.recordFailStage = rs.getString(12);
                        f.recordFailTs = instant(rs, 13);
                        flows.put(f.id, f);
                    }
                }
            }
        }
        return flows;
    }

    /** Inserts the raw rows; returns the events that were not stored before. */
    private List<StatusEvent> insertRaw(Connection c, Collection<StatusEvent> events, Instant now) throws SQLException {
        List<StatusEvent> statuses = new ArrayList<>();
        List<StatusEvent> details = new ArrayList<>();
        for (StatusEvent e : events) {
            (StatusEvent.STATUS.equals(e.kind()) ? statuses : details).add(e);
        }
        List<StatusEvent> fresh = new ArrayList<>();
        if (!statuses.isEmpty() && isPostgres(c)) {
            fresh.addAll(insertStatusesPostgres(c, statuses, now));
        } else if (!statuses.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO status (event_id, correlation_id, record_id, "
                    + "record_id_version, stage, status, message, error_code, event_ts, received_at, record_count) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                for (StatusEvent e : statuses) {
                    StatusEvent.Props p = e.properties();
                    ps.setString(1, p.eventId());
                    ps.setString(2, p.correlationId());
                    ps.setString(3, p.recordId());
                    ps.setString(4, p.recordIdVersion());
                    ps.setString(5, p.stage());
                    ps.setString(6, p.status());
                    ps.setString(7, p.message());
                    ps.setObject(8, p.errorCode(), java.sql.Types.INTEGER);
                    ps.setObject(9, odt(p.timestamp()));
                    ps.setObject(10, odt(now));
                    ps.setObject(11, p.recordCount(), java.sql.Types.BIGINT);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] != 0) {
                        fresh.add(statuses.get(i));
                    }
                }
            }
        }
        if (!details.isEmpty()) {
            // The latest message per dataset version wins; an older or repeated one changes nothing.
            try (PreparedStatement upd = c.prepareStatement("UPDATE dataset_details SET data_set_type = ?, "
                    + "record_count = ?, event_id = ?, event_ts = ? WHERE correlation_id = ? AND data_set_id = ? "
                    + "AND data_set_version_id = ? AND event_id <> ? AND event_ts <= ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO dataset_details (correlation_id, data_set_id, "
                    + "data_set_version_id, data_set_type, record_count, event_id, event_ts) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT DO NOTHING")) {
                for (StatusEvent e : details) {
                    StatusEvent.Props p = e.properties();
                    upd.setString(1, p.dataSetType());
                    upd.setObject(2, p.recordCount(), java.sql.Types.BIGINT);
                    upd.setString(3, p.eventId());
                    upd.setObject(4, odt(p.timestamp()));
                    upd.setString(5, p.correlationId());
                    upd.setString(6, p.dataSetId());
                    upd.setString(7, p.dataSetVersionId());
                    upd.setString(8, p.eventId());
                    upd.setObject(9, odt(p.timestamp()));
                    int n = upd.executeUpdate();
                    if (n == 0) {
                        ins.setString(1, p.correlationId());
                        ins.setString(2, p.dataSetId());
                        ins.setString(3, p.dataSetVersionId());
                        ins.setString(4, p.dataSetType());
                        ins.setObject(5, p.recordCount(), java.sql.Types.BIGINT);
                        ins.setString(6, p.eventId());
                        ins.setObject(7, odt(p.timestamp()));
                        n = ins.executeUpdate();
                    }
                    if (n != 0) {
                        fresh.add(e);
                    }
                }
            }
        }
        return fresh;
    }

    /**
     * PostgreSQL: the whole batch in one statement (arrays unnested), answering which event ids were new; several
     * times faster than a JDBC batch of single-row inserts.
     */
    private static List<StatusEvent> insertStatusesPostgres(Connection c, List<StatusEvent> statuses, Instant now)
            throws SQLException {
        int n = statuses.size();
        String[][] cols = new String[11][n];
        String received = now.toString();
        Map<String, StatusEvent> byId = new HashMap<>();
        for (int i = 0; i < n; i++) {
            StatusEvent.Props p = statuses.get(i).properties();
            cols[0][i] = p.eventId();
            cols[1][i] = p.correlationId();
            cols[2][i] = p.recordId();
            cols[3][i] = p.recordIdVersion();
            cols[4][i] = p.stage();
            cols[5][i] = p.status();
            cols[6][i] = p.message();
            cols[7][i] = p.errorCode() == null ? null : p.errorCode().toString();
            cols[8][i] = p.timestamp().toString();
            cols[9][i] = received;
            cols[10][i] = p.recordCount() == null ? null : p.recordCount().toString();
            byId.put(p.eventId(), statuses.get(i));
        }
        List<StatusEvent> fresh = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO status (event_id, correlation_id, record_id, "
                + "record_id_version, stage, status, message, error_code, event_ts, received_at, record_count) "
                + "SELECT e, cid, r, rv, st, s, m, ec::int, ts::timestamptz, rt::timestamptz, rc::bigint "
                + "FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], "
                + "?::text[], ?::text[], ?::text[]) AS u(e, cid, r, rv, st, s, m, ec, ts, rt, rc) "
                + "ON CONFLICT DO NOTHING RETURNING event_id")) {
            for (int i = 0; i < cols.length; i++) {
                ps.setArray(i + 1, c.createArrayOf("text", cols[i]));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    fresh.add(byId.get(rs.getString(1)));
                }
            }
        }
        return fresh;
    }

    private volatile Boolean postgres;

    private boolean isPostgres(Connection c) throws SQLException {
        Boolean pg = postgres;
        if (pg == null) {
            pg = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            postgres = pg;
        }
        return pg;
    }

    private void loadSummaries(Connection c, Map<String, Flow> flows, List<StatusEvent> fresh) throws SQLException {
        TreeSet<String> touched = new TreeSet<>();
        for (StatusEvent e : fresh) {
            touched.add(e.properties().correlationId());
        }
        for (List<String> chunk : chunks(touched)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT correlation_id, stage, first_ts, last_ts, run_status, "
                    + "run_ts, run_message, run_error_code FROM status_stage WHERE correlation_id IN ("
                    + marks(chunk.size()) + ")")) {
                bind(ps, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int code = rs.getInt(8);
                        DataflowRules.Stage s = new DataflowRules.Stage(rs.getString(2), instant(rs, 3), instant(rs, 4),
                                rs.getString(5), instant(rs, 6), rs.getString(7), rs.wasNull() ? null : code);
                        flows.get(rs.getString(1)).stages.put(s.name(), s);
                    }
                }
            }
        }
    }

    private static void apply(Flow f, StatusEvent e) {
        StatusEvent.Props p = e.properties();
        f.seen(p.timestamp());
        if (StatusEvent.DATASET_DETAILS.equals(e.kind())) {
            f.detailsChanged = true;
            return;
        }
        DataflowRules.Stage merged = DataflowRules.merge(f.stages.get(p.stage()), p);
        f.stages.put(p.stage(), merged);
        f.changedStages.put(p.stage(), merged);
        boolean failed = "FAILED".equals(p.status());
        if (p.recordId() != null) {
            long n = e.records(); // a batch-level event counts its records
            f.deltas.computeIfAbsent(p.stage(), k -> new TreeMap<>()).merge(p.status(), n, Long::sum);
            if (failed) {
                // recordsFailed is counted once per record (RecordTally); whether a retry failed again is not
                if (f.runFailedTs == null || p.timestamp().isAfter(f.runFailedTs)) {
                    f.recordsFailedSince += n;
                }
                if (f.recordFailTs == null || !p.timestamp().isBefore(f.recordFailTs)) {
                    f.recordFailTs = p.timestamp();
                    f.recordFailStage = p.stage();
                }
            }
        } else if (failed && (f.runFailedTs == null || p.timestamp().isAfter(f.runFailedTs))) {
            // A newer run-level failure: only records failing after it can fail a retry that follows it.
            f.runFailedTs = p.timestamp();
            f.recountSince = true;
        }
        if (failed && (f.failTs == null || !p.timestamp().isBefore(f.failTs))) {
            f.failTs = p.timestamp();
            f.failStage = p.stage();
            f.failMessage = p.message();
            f.failCode = p.errorCode();
        }
    }

    private void writeSummaries(Connection c, Map<String, Flow> flows, Instant now) throws SQLException {
        Map<String, Long> recordCounts = recordCounts(c, flows);
        try (PreparedStatement updStage = c.prepareStatement("UPDATE status_stage SET first_ts = ?, last_ts = ?, "
                + "run_status = ?, run_ts = ?, run_message = ?, run_error_code = ? WHERE correlation_id = ? AND stage = ?");
             PreparedStatement insStage = c.prepareStatement("INSERT INTO status_stage (first_ts, last_ts, run_status, "
                + "run_ts, run_message, run_error_code, correlation_id, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
             PreparedStatement updCounter = c.prepareStatement("UPDATE status_counter SET n = n + ? "
                + "WHERE correlation_id = ? AND stage = ? AND status = ?");
             PreparedStatement insCounter = c.prepareStatement("INSERT INTO status_counter (n, correlation_id, stage, "
                + "status) VALUES (?, ?, ?, ?)");
             PreparedStatement updFlow = c.prepareStatement("UPDATE status_dataflow SET state = ?, finished = ?, "
                + "stage = ?, record_count = ?, records_done = ?, records_failed = ?, last_failure_stage = ?, "
                + "last_failure_message = ?, last_failure_code = ?, first_ts = ?, last_ts = ?, updated_at = ?, "
                + "run_failed_ts = ?, records_failed_since = ?, record_failure_stage = ?, record_failure_ts = ? "
                + "WHERE correlation_id = ?")) {
            List<Object[]> counterRows = new ArrayList<>();
            for (Flow f : flows.values()) {
                for (DataflowRules.Stage s : f.changedStages.values()) {
                    Object[] row = {odt(s.firstTs()), odt(s.lastTs()), s.runStatus(), odt(s.runTs()), s.runMessage(),
                        s.runErrorCode(), f.id, s.name()};
                    if (set(updStage, row).executeUpdate() == 0) {
                        set(insStage, row).executeUpdate();
                    }
                }
                f.deltas.forEach((stage, byStatus) -> byStatus.forEach((status, n) ->
                        counterRows.add(new Object[] {n, f.id, stage, status})));
                if (recordCounts.containsKey(f.id)) {
                    f.recordCount = recordCounts.get(f.id);
                }
            }
            if (!counterRows.isEmpty()) {
                for (Object[] row : counterRows) {
                    set(updCounter, row).addBatch();
                }
                int[] counts = updCounter.executeBatch();
                boolean inserts = false;
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] == 0) {
                        set(insCounter, counterRows.get(i)).addBatch();
                        inserts = true;
                    }
                }
                if (inserts) {
                    insCounter.executeBatch();
                }
            }
            for (Flow f : flows.values()) {
                if (f.changedStages.isEmpty() && f.deltas.isEmpty() && !f.detailsChanged) {
                    continue;
                }
                if (f.recountSince) {
                    f.recordsFailedSince = recordsFailedAfter(c, f.id, f.runFailedTs);
                }
                List<DataflowRules.Stage> stages = new ArrayList<>(f.stages.values());
                DataflowRules.Verdict v = DataflowRules.evaluate(stages, f.recordsFailed, f.runFailedTs,
                        f.recordsFailedSince, f.recordFailStage);
                set(updFlow, new Object[] {v.state().name(), v.finished(), v.stage(), f.recordCount, f.recordsDone,
                    f.recordsFailed, f.failStage, f.failMessage, f.failCode, odt(f.firstTs), odt(f.lastTs), odt(now),
                    odt(f.runFailedTs), f.recordsFailedSince, f.recordFailStage, odt(f.recordFailTs), f.id})
                        .addBatch();
            }
            updFlow.executeBatch();
        }
    }

    /** Records that failed after {@code ts} (raw rows, this batch's included: they are inserted first). */
    private static long recordsFailedAfter(Connection c, String correlationId, Instant ts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT SUM(COALESCE(record_count, 1)) FROM status "
                + "WHERE correlation_id = ? AND status = 'FAILED' AND record_id IS NOT NULL AND event_ts > ?")) {
            ps.setString(1, correlationId);
            ps.setObject(2, odt(ts));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private Map<String, Long> recordCounts(Connection c, Map<String, Flow> flows) throws SQLException {
        List<String> changed = new ArrayList<>();
        for (Flow f : flows.values()) {
            if (f.detailsChanged) {
                changed.add(f.id);
            }
        }
        Map<String, Long> out = new HashMap<>();
        for (List<String> chunk : chunks(changed)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT correlation_id, SUM(record_count) FROM dataset_details "
                    + "WHERE correlation_id IN (" + marks(chunk.size()) + ") GROUP BY correlation_id")) {
                bind(ps, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long n = rs.getLong(2);
                        out.put(rs.getString(1), rs.wasNull() ? null : n);
                    }
                }
            }
        }
        return out;
    }

    /** Deletes raw status rows received before {@code cutoff}, in chunks; summaries stay. Returns rows deleted. */
    public long purgeBefore(Instant cutoff, int chunk) throws SQLException {
        long total = 0;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT)
                    .contains("postgres");
            // Chunked so one purge never holds a huge transaction; each dialect's cheapest bounded delete.
            String sql = postgres
                    ? "DELETE FROM status WHERE ctid = ANY (ARRAY(SELECT ctid FROM status WHERE received_at < ? LIMIT "
                        + chunk + "))"
                    : "DELETE FROM status WHERE received_at < ? FETCH FIRST " + chunk + " ROWS ONLY";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                while (true) {
                    ps.setObject(1, odt(cutoff));
                    int n = ps.executeUpdate();
                    total += n;
                    if (n < chunk) {
                        break;
                    }
                }
            }
            RecordTally.purgeBefore(c, cutoff, Math.max(1, chunk / 100));
            return total;
        }
    }

    // ------------------------------------------------------------------ helpers

    static OffsetDateTime odt(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static PreparedStatement set(PreparedStatement ps, Object[] values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            ps.setObject(i + 1, v);
        }
        return ps;
    }

    private static void bind(PreparedStatement ps, List<String> values) throws SQLException {
        for (int i = 0; i < values.size(); i++) {
            ps.setString(i + 1, values.get(i));
        }
    }

    private static String marks(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    private static List<List<String>> chunks(Collection<String> ids) {
        List<List<String>> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        for (String id : ids) {
            cur.add(id);
            if (cur.size() == CHUNK) {
                out.add(cur);
                cur = new ArrayList<>();
            }
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

}
