package routes.roket;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;
import routes.common.Transactions;

/**
 * The roket-upload ledger in the metadata DB (schema: V10). Every write of one batch is one transaction, in
 * bulk (JDBC batches), so the ledger never holds half a batch. Delivered records are rows of Camel's idempotent
 * repository table, {@code CAMEL_MESSAGEPROCESSED(processorName='roket-upload/<date>', messageId=<id>)}.
 */
public class RoketLedger {

    private static final Logger LOG = LoggerFactory.getLogger(RoketLedger.class);
    public static final String PROCESSOR_PREFIX = "roket-upload/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXCERPT = 1000;

    /** Batch states. */
    public enum State { SENDING, DELIVERED, REJECTED, SPLIT, FAILED, UNCERTAIN }

    private final DataSource ds;

    public RoketLedger(DataSource ds) {
        this.ds = ds;
    }

    public static String processorName(String date) {
        return PROCESSOR_PREFIX + date;
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
                if (!isDuplicateKey(e)) {
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
                excerpt(s.message(), 2000), now(), s.runId());
    }

    // ------------------------------------------------------------------ what a run starts from

    /** Batches left SENDING by a run that stopped (the claim guarantees it is not running) become UNCERTAIN. */
    public int markInterruptedUncertain(String date) {
        return update("UPDATE roket_batch SET state = 'UNCERTAIN', response_excerpt = ?, updated_at = ? "
                        + "WHERE upload_date = ? AND state = 'SENDING'",
                "no answer recorded: the request was in flight when its run stopped", now(), date);
    }

    /** Every record id delivered for the date, in one query (a run checks each row against this set). */
    IdSet deliveredIds(String date) {
        try (Connection c = ds.getConnection()) {
            int expected = 1024;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT COUNT(*) FROM CAMEL_MESSAGEPROCESSED WHERE processorName = ?")) {
                ps.setString(1, processorName(date));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    expected = (int) Math.min(Integer.MAX_VALUE / 4, Math.max(1024, rs.getLong(1) * 5 / 4));
                }
            }
            IdSet ids = new IdSet(expected);
            // PostgreSQL streams with a fetch size only inside a transaction.
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT messageId FROM CAMEL_MESSAGEPROCESSED WHERE processorName = ?")) {
                ps.setFetchSize(10_000);
                ps.setString(1, processorName(date));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(auto);
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read delivered records of " + date + ": " + e.getMessage(), e);
        }
    }

    /** Whether a record is written down as delivered (one lookup; runs use {@link #deliveredIds}). */
    public boolean isDelivered(String date, String id) {
        return !query("SELECT 1 FROM CAMEL_MESSAGEPROCESSED WHERE processorName = ? AND messageId = ?",
                processorName(date), id).isEmpty();
    }

    /** Open UNCERTAIN batches of the date: batch id to its record ids. */
    public Map<String, List<String>> openUncertain(String date) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT batch_id, record_ids FROM roket_batch "
                     + "WHERE upload_date = ? AND state = 'UNCERTAIN' AND resolution IS NULL ORDER BY created_at")) {
            ps.setString(1, date);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), parseIds(rs.getString(2)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read uncertain batches of " + date + ": " + e.getMessage(), e);
        }
    }

    /** Marks open UNCERTAIN batches resolved (RESENT or RELEASED). */
    public void resolve(List<String> batchIds, String resolution) {
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE roket_batch SET resolution = ?, updated_at = ? "
                    + "WHERE batch_id = ? AND state = 'UNCERTAIN' AND resolution IS NULL")) {
                Timestamp now = now();
                for (String id : batchIds) {
                    ps.setString(1, resolution);
                    ps.setTimestamp(2, now);
                    ps.setString(3, id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }

    // ------------------------------------------------------------------ batch transitions

    /** Written before the request leaves: a crash from here on leaves the batch SENDING, i.e. uncertain. */
    public void sending(String runId, String date, RoketBatch b) {
        inTransaction(c -> insertSending(c, runId, date, b));
    }

    public void delivered(String date, RoketBatch b, int attempts, int status, String response) {
        inTransaction(c -> {
            transition(c, b.batchId(), State.DELIVERED, attempts, status, response);
            // One multi-row INSERT for the whole batch: one statement, one round trip, on H2 and PostgreSQL.
            StringBuilder sql = new StringBuilder(64 + b.size() * 10)
                    .append("INSERT INTO CAMEL_MESSAGEPROCESSED (processorName, messageId, createdAt) VALUES ");
            for (int i = 0; i < b.size(); i++) {
                sql.append(i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)");
            }
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                Timestamp now = now();
                String processor = processorName(date);
                int p = 1;
                for (RoketBatch.Row r : b.rows()) {
                    ps.setString(p++, processor);
                    ps.setString(p++, r.id());
                    ps.setTimestamp(p++, now);
                }
                ps.executeUpdate();
            }
        });
    }

    /** Roket refused the batch; its records are written down as rejected with Roket's answer. */
    public void rejected(String runId, String date, RoketBatch b, int attempts, int status, String response) {
        inTransaction(c -> {
            transition(c, b.batchId(), State.REJECTED, attempts, status, response);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO roket_rejected_record (upload_date, record_id, "
                    + "run_id, batch_id, http_status, response_excerpt, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                Timestamp now = now();
                for (RoketBatch.Row r : b.rows()) {
                    ps.setString(1, date);
                    ps.setString(2, r.id());
                    ps.setString(3, runId);
                    ps.setString(4, b.batchId());
                    ps.setInt(5, status);
                    ps.setString(6, excerpt(response, EXCERPT));
                    ps.setTimestamp(7, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }

    /** A rejected batch narrowed down: the parent becomes SPLIT and its halves are written SENDING, together. */
    public void split(String runId, String date, RoketBatch parent, int attempts, int status, String response,
                      List<RoketBatch> halves) {
        inTransaction(c -> {
            transition(c, parent.batchId(), State.SPLIT, attempts, status, response);
            for (RoketBatch h : halves) {
                insertSending(c, runId, date, h);
            }
        });
    }

    public void uncertain(RoketBatch b, int attempts, String why) {
        inTransaction(c -> transition(c, b.batchId(), State.UNCERTAIN, attempts, null, why));
    }

    public void failed(RoketBatch b, int attempts, Integer status, String response) {
        inTransaction(c -> transition(c, b.batchId(), State.FAILED, attempts, status, response));
    }

    // ------------------------------------------------------------------ questions (tests, API, summary)

    /** Record ids of every UNCERTAIN batch of the date (open or resolved): the possible duplicates. */
    public Set<String> uncertainRecordIds(String date) {
        Set<String> out = new HashSet<>();
        for (Map<String, Object> b : batches(date)) {
            if ("UNCERTAIN".equals(b.get("state"))) {
                out.addAll(parseIds((String) b.get("record_ids")));
            }
        }
        return out;
    }

    public List<String> rejectedRecordIds(String date) {
        List<String> out = new ArrayList<>();
        query("SELECT DISTINCT record_id FROM roket_rejected_record WHERE upload_date = ? ORDER BY record_id", date)
                .forEach(r -> out.add((String) r.get("record_id")));
        return out;
    }

    public List<Map<String, Object>> batches(String date) {
        return query("SELECT batch_id, run_id, parent_batch_id, state, record_count, record_ids, attempts, http_status, "
                + "response_excerpt, resolution, created_at, updated_at FROM roket_batch WHERE upload_date = ? "
                + "ORDER BY created_at", date);
    }

    public List<Map<String, Object>> runs(String date) {
        return query("SELECT * FROM roket_run WHERE upload_date = ? ORDER BY started_at", date);
    }

    public List<Map<String, Object>> query(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= n; i++) {
                        Object v = rs.getObject(i);
                        if (v instanceof java.sql.Clob clob) {
                            v = clob.getSubString(1, (int) clob.length());
                        }
                        row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), v);
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("ledger query failed: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private static void insertSending(Connection c, String runId, String date, RoketBatch b) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO roket_batch (batch_id, run_id, upload_date, "
                + "parent_batch_id, state, record_count, record_ids, attempts, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, 'SENDING', ?, ?, 0, ?, ?)")) {
            Timestamp now = now();
            ps.setString(1, b.batchId());
            ps.setString(2, runId);
            ps.setString(3, date);
            ps.setString(4, b.parentBatchId());
            ps.setInt(5, b.size());
            ps.setString(6, idsJson(b.ids()));
            ps.setTimestamp(7, now);
            ps.setTimestamp(8, now);
            ps.executeUpdate();
        }
    }

    private static void transition(Connection c, String batchId, State to, int attempts, Integer status,
                                   String response) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE roket_batch SET state = ?, attempts = ?, "
                + "http_status = ?, response_excerpt = ?, updated_at = ? WHERE batch_id = ? AND state = 'SENDING'")) {
            ps.setString(1, to.name());
            ps.setInt(2, attempts);
            if (status == null) {
                ps.setNull(3, java.sql.Types.INTEGER);
            } else {
                ps.setInt(3, status);
            }
            ps.setString(4, excerpt(response, EXCERPT));
            ps.setTimestamp(5, now());
            ps.setString(6, batchId);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("batch " + batchId + " is no longer SENDING; not moving it to " + to);
            }
        }
    }

    private interface Work {
        void run(Connection c) throws SQLException;
    }

    private void inTransaction(Work work) {
        try {
            Transactions.inTransaction(ds, c -> {
                work.run(c);
                return null;
            });
        } catch (SQLException e) {
            throw new IllegalStateException("ledger write failed: " + e.getMessage(), e);
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("ledger write failed: " + e.getMessage(), e);
        }
    }

    static boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    static String idsJson(List<String> ids) {
        try {
            return JSON.writeValueAsString(ids);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> parseIds(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<String>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable record ids in the ledger: " + e.getMessage(), e);
        }
    }

    static String excerpt(String s, int max) {
        if (s == null) {
            return null;
        }
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static Timestamp now() {
        return Timestamp.from(Instant.now());
    }
}
