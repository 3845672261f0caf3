package routes.roket;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import javax.sql.DataSource;
import routes.common.Transactions;
import routes.roket.RoketLedger.State;

/**
 * The batch transitions of the roket-upload ledger ({@code roket_batch}, schema V10): a batch is written
 * {@code SENDING} before its request leaves, then moves exactly once to DELIVERED (with its ids in
 * {@code CAMEL_MESSAGEPROCESSED}), REJECTED, SPLIT (its halves written SENDING in the same transaction), FAILED or
 * UNCERTAIN. Every write of one batch is one transaction, in bulk, so the ledger never holds half a batch.
 */
public class RoketBatchLedger {

    private static final int EXCERPT = 1000;

    private final DataSource ds;

    public RoketBatchLedger(DataSource ds) {
        this.ds = ds;
    }

    /** Batches left SENDING by a run that stopped (the claim guarantees it is not running) become UNCERTAIN. */
    public int markInterruptedUncertain(String date) {
        return RoketSql.update(ds, "UPDATE roket_batch SET state = 'UNCERTAIN', response_excerpt = ?, updated_at = ? "
                        + "WHERE upload_date = ? AND state = 'SENDING'",
                "no answer recorded: the request was in flight when its run stopped", RoketSql.now(), date);
    }

    /** Marks open UNCERTAIN batches resolved (RESENT or RELEASED). */
    public void resolve(List<String> batchIds, String resolution) {
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE roket_batch SET resolution = ?, updated_at = ? "
                    + "WHERE batch_id = ? AND state = 'UNCERTAIN' AND resolution IS NULL")) {
                Timestamp now = RoketSql.now();
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
                Timestamp now = RoketSql.now();
                String processor = RoketLedger.processorName(date);
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
                Timestamp now = RoketSql.now();
                for (RoketBatch.Row r : b.rows()) {
                    ps.setString(1, date);
                    ps.setString(2, r.id());
                    ps.setString(3, runId);
                    ps.setString(4, b.batchId());
                    ps.setInt(5, status);
                    ps.setString(6, RoketSql.excerpt(response, EXCERPT));
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

    private static void insertSending(Connection c, String runId, String date, RoketBatch b) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO roket_batch (batch_id, run_id, upload_date, "
                + "parent_batch_id, state, record_count, record_ids, attempts, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, 'SENDING', ?, ?, 0, ?, ?)")) {
            Timestamp now = RoketSql.now();
            ps.setString(1, b.batchId());
            ps.setString(2, runId);
            ps.setString(3, date);
            ps.setString(4, b.parentBatchId());
            ps.setInt(5, b.size());
            ps.setString(6, RoketSql.idsJson(b.ids()));
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
            ps.setString(4, RoketSql.excerpt(response, EXCERPT));
            ps.setTimestamp(5, RoketSql.now());
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

}
