package routes.replay;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;
import routes.common.Transactions;

/**
 * The replay tables of the metadata DB (V40): runs, days, the downstream blobs a day backed up and the Druid
 * segments it recorded. Every step is written here before it is done; the guarded updates are the only way a
 * state changes.
 */
public final class ReplayLedger {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayLedger.class);

    /** Day states, in the order a day passes through them. */
    public enum DayStatus { PENDING, PREFLIGHT, BACKUP, REPLAY, CLEANUP, RESTORE, SUCCEEDED, FAILED }

    public enum BackupState { PLANNED, COPIED, DELETED, RESTORED, CLEANED, KEPT }

    public record Run(String id, String status, String params, boolean dryRun, String owner, Instant heartbeatAt,
                      Instant createdAt, Instant finishedAt, String error) {
    }

    public record Day(String runId, String day, DayStatus status, String failedStage, long records, long badRecords,
                      int sourceFiles, int segmentsRemoved, String startOffsets, Instant startedAt, Instant finishedAt,
                      Long durationMs, String error) {
    }

    public record Backup(String runId, String day, String sourcePrefix, String blobName, String backupName, long size,
                         String etag, String md5, BackupState state) {
    }

    public record Segment(String runId, String day, String datasource, String segmentId, String state) {
    }

    private final DataSource ds;

    public ReplayLedger(DataSource ds) {
        this.ds = ds;
    }

    // ------------------------------------------------------------------ runs

    public void createRun(String id, String paramsJson, boolean dryRun, List<String> days) {
        Timestamp now = Timestamp.from(Instant.now());
        try {
            Transactions.inTransaction(ds, c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO replay_runs (id, status, params, dry_run, created_at) VALUES (?, 'PENDING', ?, ?, ?)")) {
                    ps.setString(1, id);
                    ps.setString(2, paramsJson);
                    ps.setBoolean(3, dryRun);
                    ps.setTimestamp(4, now);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO replay_days (run_id, replay_day, status) VALUES (?, ?, 'PENDING')")) {
                    for (String d : days) {
                        ps.setString(1, id);
                        ps.setString(2, d);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return null;
            });
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record replay run " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Takes the run for {@code owner}: only when it is unfinished and nobody else holds it with a heartbeat newer
     * than {@code staleBefore}. Several instances may try; one wins.
     */
    public boolean claim(String id, String owner, Instant staleBefore) {
        if (update("UPDATE replay_runs SET status = 'RUNNING', owner = ?, heartbeat_at = ?, finished_at = NULL, error = NULL"
                        + " WHERE id = ? AND status IN ('PENDING', 'RUNNING', 'FAILED')"
                        + " AND (owner IS NULL OR owner = ? OR heartbeat_at IS NULL OR heartbeat_at < ?)",
                owner, Timestamp.from(Instant.now()), id, owner, Timestamp.from(staleBefore)) == 1) {
            return true;
        }
        // Its holder's process is gone from this very host (kill -9, crash): no need to wait out its heartbeat.
        String holder = run(id).map(Run::owner).orElse(null);
        Optional<String> dead = ClaimOwner.deadOnThisHost(holder);
        if (dead.isPresent() && update("UPDATE replay_runs SET status = 'RUNNING', owner = ?, heartbeat_at = ?,"
                        + " finished_at = NULL, error = NULL WHERE id = ? AND status IN ('PENDING', 'RUNNING', 'FAILED')"
                        + " AND owner = ?", owner, Timestamp.from(Instant.now()), id, holder) == 1) {
            LOG.warn("replay run {}: taking over the claim of {}: {}", id, holder, dead.get());
            return true;
        }
        return false;
    }

    public void heartbeat(String id, String owner) {
        update("UPDATE replay_runs SET heartbeat_at = ? WHERE id = ? AND owner = ?", Timestamp.from(Instant.now()), id, owner);
    }

    public void finishRun(String id, String owner, boolean succeeded, String error) {
        update("UPDATE replay_runs SET status = ?, finished_at = ?, error = ?, owner = NULL WHERE id = ? AND owner = ?",
                succeeded ? "SUCCEEDED" : "FAILED", Timestamp.from(Instant.now()), error, id, owner);
    }

    public Optional<Run> run(String id) {
        List<Run> r = query("SELECT * FROM replay_runs WHERE id = ?", rs -> new Run(rs.getString("id"),
                rs.getString("status"), rs.getString("params"), rs.getBoolean("dry_run"), rs.getString("owner"),
                instant(rs, "heartbeat_at"), instant(rs, "created_at"), instant(rs, "finished_at"), rs.getString("error")), id);
        return r.stream().findFirst();
    }

    /** Runs that were started and never finished, whose owner stopped beating before {@code staleBefore}. */
    public List<String> abandonedRuns(Instant staleBefore) {
        return query("SELECT id, owner, heartbeat_at FROM replay_runs WHERE status = 'RUNNING' ORDER BY created_at",
                rs -> {
                    Timestamp beat = rs.getTimestamp(3);
                    boolean stale = beat == null || beat.toInstant().isBefore(staleBefore)
                            || ClaimOwner.deadOnThisHost(rs.getString(2)).isPresent();
                    return stale ? rs.getString(1) : null;
                }).stream().filter(java.util.Objects::nonNull).toList();
    }

    // ------------------------------------------------------------------ days

    public List<Day> days(String runId) {
        return query("SELECT * FROM replay_days WHERE run_id = ? ORDER BY replay_day", ReplayLedger::day, runId);
    }

    public Day day(String runId, String day) {
        return query("SELECT * FROM replay_days WHERE run_id = ? AND replay_day = ?", ReplayLedger::day, runId, day).get(0);
    }

    public void dayStatus(String runId, String day, DayStatus status) {
        update("UPDATE replay_days SET status = ?, started_at = COALESCE(started_at, ?) WHERE run_id = ? AND replay_day = ?",
                status.name(), Timestamp.from(Instant.now()), runId, day);
    }

    /** Enters REPLAY, with the topic's end offsets before the first record (so a resume can find what arrived). */
    public void startReplay(String runId, String day, String startOffsets) {
        update("UPDATE replay_days SET status = 'REPLAY', start_offsets = ? WHERE run_id = ? AND replay_day = ?",
                startOffsets, runId, day);
    }

    public void counts(String runId, String day, long records, long bad, int sourceFiles) {
        update("UPDATE replay_days SET records = ?, bad_records = ?, source_files = ? WHERE run_id = ? AND replay_day = ?",
                records, bad, sourceFiles, runId, day);
    }

    public void segmentsRemoved(String runId, String day, int n) {
        update("UPDATE replay_days SET segments_removed = ? WHERE run_id = ? AND replay_day = ?", n, runId, day);
    }

    public void error(String runId, String day, String stage, String error) {
        update("UPDATE replay_days SET failed_stage = ?, error = ? WHERE run_id = ? AND replay_day = ?", stage, error, runId, day);
    }

    public void finishDay(String runId, String day, DayStatus status, String failedStage, String error) {
        update("UPDATE replay_days SET status = ?, failed_stage = ?, error = ?, finished_at = ?,"
                        + " duration_ms = ? WHERE run_id = ? AND replay_day = ?",
                status.name(), failedStage, error, Timestamp.from(Instant.now()),
                durationSinceStart(runId, day), runId, day);
    }

    private long durationSinceStart(String runId, String day) {
        Instant started = day(runId, day).startedAt();
        return started == null ? 0 : Math.max(0, Instant.now().toEpochMilli() - started.toEpochMilli());
    }

    /** Forgets what an interrupted backup of the day recorded, once it has been restored, so it can start over. */
    public void forgetDayWork(String runId, String day) {
        update("DELETE FROM replay_blob_backups WHERE run_id = ? AND replay_day = ? AND state = 'RESTORED'", runId, day);
        update("DELETE FROM replay_druid_segments WHERE run_id = ? AND replay_day = ?", runId, day);
    }

    // ------------------------------------------------------------------ blobs and segments

    public void planBackup(Backup b) {
        update("INSERT INTO replay_blob_backups (run_id, replay_day, source_prefix, blob_name, backup_name, size_bytes, etag,"
                        + " content_md5, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PLANNED')",
                b.runId(), b.day(), b.sourcePrefix(), b.blobName(), b.backupName(), b.size(), b.etag(), b.md5());
    }

    public void backupState(String runId, String blobName, BackupState state) {
        update("UPDATE replay_blob_backups SET state = ? WHERE run_id = ? AND blob_name = ?", state.name(), runId, blobName);
    }

    public List<Backup> backups(String runId, String day) {
        return query("SELECT * FROM replay_blob_backups WHERE run_id = ? AND replay_day = ? ORDER BY blob_name",
                rs -> new Backup(rs.getString("run_id"), rs.getString("replay_day"), rs.getString("source_prefix"),
                        rs.getString("blob_name"), rs.getString("backup_name"), rs.getLong("size_bytes"),
                        rs.getString("etag"), rs.getString("content_md5"), BackupState.valueOf(rs.getString("state"))),
                runId, day);
    }

    public void recordSegment(String runId, String day, String datasource, String segmentId) {
        update("INSERT INTO replay_druid_segments (run_id, replay_day, datasource, segment_id, state) VALUES (?, ?, ?, ?, 'RECORDED')",
                runId, day, datasource, segmentId);
    }

    public void segmentsUnused(String runId, String datasource, List<String> segmentIds) {
        for (String id : segmentIds) {
            update("UPDATE replay_druid_segments SET state = 'UNUSED' WHERE run_id = ? AND datasource = ? AND segment_id = ?",
                    runId, datasource, id);
        }
    }

    public List<Segment> segments(String runId, String day) {
        return query("SELECT * FROM replay_druid_segments WHERE run_id = ? AND replay_day = ? ORDER BY datasource, segment_id",
                rs -> new Segment(rs.getString("run_id"), rs.getString("replay_day"), rs.getString("datasource"),
                        rs.getString("segment_id"), rs.getString("state")), runId, day);
    }

    // ------------------------------------------------------------------ JDBC plumbing

    private static Day day(ResultSet rs) throws SQLException {
        long dur = rs.getLong("duration_ms");
        Long duration = rs.wasNull() ? null : dur;
        return new Day(rs.getString("run_id"), rs.getString("replay_day"), DayStatus.valueOf(rs.getString("status")),
                rs.getString("failed_stage"), rs.getLong("records"), rs.getLong("bad_records"), rs.getInt("source_files"),
                rs.getInt("segments_removed"), rs.getString("start_offsets"), instant(rs, "started_at"),
                instant(rs, "finished_at"), duration, rs.getString("error"));
    }

    private static Instant instant(ResultSet rs, String col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }

    @FunctionalInterface
    private interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private int update(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("replay ledger: " + e.getMessage(), e);
        }
    }

    private <T> List<T> query(String sql, Row<T> row, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row.map(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("replay ledger: " + e.getMessage(), e);
        }
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }
}
