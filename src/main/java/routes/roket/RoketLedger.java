package routes.roket;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;

/**
 * The roket-upload ledger's claims and runs in the metadata DB (schema: V10, V11): one run per date (or dataset) at a
 * time ({@code roket_date_lock}, kept alive by a heartbeat) and what each run did ({@code roket_run}). The batch
 * transitions and delivered records are {@link RoketBatchLedger}; the questions asked of the ledger (which ids are
 * delivered, which batches are uncertain) are {@link RoketQueries}.
 */
public class RoketLedger {

    private static final Logger LOG = LoggerFactory.getLogger(RoketLedger.class);
    public static final String PROCESSOR_PREFIX = "roket-upload/";

    /** Batch states. */
    public enum State { SENDING, DELIVERED, REJECTED, SPLIT, FAILED, UNCERTAIN }

    private final DataSource ds;

    public RoketLedger(DataSource ds) {
        this.ds = ds;
    }

    /**
     * The idempotent repository's processorName of a ledger key: {@code roket-upload/<date>} for an upload's date,
     * the dataset itself for a Kamelet-fed dataset (which may not look like a date).
     */
    public static String processorName(String key) {
        return isDate(key) ? PROCESSOR_PREFIX + key : key;
    }

    static boolean isDate(String key) {
        return key.length() == 10 && key.matches("\\d{4}-\\d{2}-\\d{2}");
    }

    // ------------------------------------------------------------------ one run per date

    /** Refused: another run holds the date. */
    public static class DateBusyException extends RuntimeException {
        public DateBusyException(String message) {
            super(message);
        }
    }

    /**
     * Claims the date for {@code runId}: inserts the lock row, or takes over one whose heartbeat is older than
     * {@code lockTimeout} (its run died) or whose holder is a process of this host that no longer exists. Throws {@link DateBusyException} naming the running run otherwise.
     */
    public void claim(String date, String runId, String owner, Duration lockTimeout) {
        Timestamp now = now();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO roket_date_lock "
                    + "(upload_date, run_id, owner, claimed_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, date);
                ps.setString(2, runId);
                ps.setString(3, owner);
                ps.setTimestamp(4, now);
                ps.setTimestamp(5, now);
                ps.executeUpdate();
                return;
            } catch (SQLException e) {
                if (!RoketSql.isDuplicateKey(e)) {
                    throw e;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE roket_date_lock SET run_id = ?, owner = ?, "
                    + "claimed_at = ?, heartbeat_at = ? WHERE upload_date = ? AND heartbeat_at < ?")) {
                ps.setString(1, runId);
                ps.setString(2, owner);
                ps.setTimestamp(3, now);
                ps.setTimestamp(4, now);
                ps.setString(5, date);
                ps.setTimestamp(6, Timestamp.from(now.toInstant().minus(lockTimeout)));
                if (ps.executeUpdate() == 1) {
                    return;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT run_id, owner, claimed_at FROM roket_date_lock WHERE upload_date = ?")) {
                ps.setString(1, date);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        // The holder's process is gone from this very host (kill -9, crash): no need to wait out its heartbeat.
                        String heldBy = rs.getString(1);
                        java.util.Optional<String> dead = ClaimOwner.deadOnThisHost(rs.getString(2));
                        if (dead.isPresent() && takeOver(c, date, heldBy, runId, owner, now)) {
                            LOG.warn("roket-upload {}: taking over the claim of run {}: {}", date, heldBy, dead.get());
                            return;
                        }
                        throw new DateBusyException("an upload of " + date + " is already running (run "
                                + rs.getString(1) + " on " + rs.getString(2) + " since "
                                + rs.getTimestamp(3).toInstant() + "); not starting a second one");
                    }
                }
            }
            // Released between our insert and our look: try once more.
            claim(date, runId, owner, lockTimeout);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot claim " + date + " in the ledger: " + e.getMessage(), e);
        }
    }

    private static boolean takeOver(Connection c, String date, String oldRunId, String runId, String owner,
                                    Timestamp now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE roket_date_lock SET run_id = ?, owner = ?, "
                + "claimed_at = ?, heartbeat_at = ? WHERE upload_date = ? AND run_id = ?")) {
            ps.setString(1, runId);
            ps.setString(2, owner);
            ps.setTimestamp(3, now);
            ps.setTimestamp(4, now);
            ps.setString(5, date);
            ps.setString(6, oldRunId);
            return ps.executeUpdate() == 1;
        }
    }

    /** Keeps the claim alive; false when the claim is gone (taken over), so the run must stop. */
    public boolean heartbeat(String date, String runId) {
        return update("UPDATE roket_date_lock SET heartbeat_at = ? WHERE upload_date = ? AND run_id = ?",
                now(), date, runId) == 1;
    }

    public void release(String date, String runId) {
        update("DELETE FROM roket_date_lock WHERE upload_date = ? AND run_id = ?", date, runId);
    }

    // ------------------------------------------------------------------ runs

    /** A run of a date left RUNNING by a process that died: its id, date, and why it counts as dead. */
    public record Abandoned(String runId, String date, String why) {
    }

    /**
     * Runs the service started (triggers schedule, api, takeover) left RUNNING whose holder stopped: the date's claim
     * is gone or another run's, its heartbeat is older than {@code lockTimeout}, or its holder is a process of this
     * host that no longer exists. Runs of a Kamelet-fed dataset (not a date) are not the service's to take over.
     */
    public java.util.List<Abandoned> abandonedRuns(Duration lockTimeout) {
        java.time.Instant stale = java.time.Instant.now().minus(lockTimeout);
        java.util.List<Abandoned> out = new java.util.ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT r.run_id, r.upload_date,"
                + " l.run_id, l.owner, l.heartbeat_at FROM roket_run r LEFT JOIN roket_date_lock l ON l.upload_date = r.upload_date"
                + " WHERE r.state = 'RUNNING' AND r.trigger_name IN ('schedule', 'api', 'takeover') ORDER BY r.started_at")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String runId = rs.getString(1);
                    String holder = rs.getString(3);
                    java.util.Optional<String> dead = ClaimOwner.deadOnThisHost(rs.getString(4));
                    String why = holder == null ? "its claim on the date is gone"
                            : !holder.equals(runId) ? "run " + holder + " holds the date now"
                            : rs.getTimestamp(5).toInstant().isBefore(stale) ? "no heartbeat since " + rs.getTimestamp(5).toInstant()
                            : dead.orElse(null);
                    if (why != null && isDate(rs.getString(2))) {
                        out.add(new Abandoned(runId, rs.getString(2), why));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the running uploads: " + e.getMessage(), e);
        }
        return out;
    }

    /** Ends an abandoned run as FAILED; true for the one caller that did it (several instances may try). */
    public boolean abandon(String runId, String message) {
        return update("UPDATE roket_run SET state = 'FAILED', message = ?, finished_at = ? WHERE run_id = ? AND state = 'RUNNING'",
                RoketSql.excerpt(message, 2000), now(), runId) == 1;
    }

    /** The run that uploaded the date (SUCCEEDED), as "run X at T (trigger)", or empty when none did. */
    public java.util.Optional<String> succeededRun(String date) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT run_id, finished_at,"
                + " trigger_name FROM roket_run WHERE upload_date = ? AND state = 'SUCCEEDED' ORDER BY finished_at DESC")) {
            ps.setString(1, date);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of("run " + rs.getString(1) + " at "
                        + rs.getTimestamp(2).toInstant() + " (" + rs.getString(3) + ")") : java.util.Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the runs of " + date + ": " + e.getMessage(), e);
        }
    }

    public void runStarted(String runId, String date, String trigger) {
        update("INSERT INTO roket_run (run_id, upload_date, trigger_name, state, started_at) VALUES (?, ?, ?, 'RUNNING', ?)",
                runId, date, trigger, now());
    }

    public void runFinished(RoketRun.Summary s) {
        update("UPDATE roket_run SET state = ?, rows_read = ?, skipped = ?, sent = ?, delivered = ?, batches = ?, "
                        + "retries = ?, rejected = ?, uncertain = ?, held = ?, possible_duplicates = ?, message = ?, "
                        + "finished_at = ? WHERE run_id = ?",
                s.succeeded() ? "SUCCEEDED" : "FAILED", s.rowsRead(), s.skipped(), s.sent(), s.delivered(), s.batches(),
                s.retries(), s.rejected(), s.uncertain(), s.held(), s.possibleDuplicates(),
                RoketSql.excerpt(s.message(), 2000), now(), s.runId());
    }

    // ------------------------------------------------------------------ plumbing

    private int update(String sql, Object... args) {
        return RoketSql.update(ds, sql, args);
    }

    private static Timestamp now() {
        return RoketSql.now();
    }
}
