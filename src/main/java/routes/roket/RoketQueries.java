package routes.roket;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The questions asked of the roket-upload ledger: which of a chunk's ids are delivered already (the ledger filter's
 * one read per chunk), which batches are uncertain, what a run or a date holds (tests, API, demo). Delivered records
 * are rows of Camel's idempotent repository table,
 * {@code CAMEL_MESSAGEPROCESSED(processorName='roket-upload/<date>' or the dataset, messageId=<id>)}.
 */
public class RoketQueries {

    private final DataSource ds;

    public RoketQueries(DataSource ds) {
        this.ds = ds;
    }

    /**
     * The ids among {@code ids} written down as delivered for the ledger key, in one query: an index lookup per id,
     * so a re-run costs one round trip per chunk and nothing is held in memory for the dataset's history.
     */
    Set<String> deliveredAmong(String key, Collection<String> ids) {
        Set<String> out = new HashSet<>();
        if (ids.isEmpty()) {
            return out;
        }
        // A row-value IN list: H2 looks each pair up in the primary key (processorName, messageId); the plain
        // "processorName = ? AND messageId IN (...)" made H2 scan every delivered id of the key, once per batch.
        StringBuilder sql = new StringBuilder(80 + ids.size() * 8)
                .append("SELECT messageId FROM CAMEL_MESSAGEPROCESSED WHERE (processorName, messageId) IN (");
        for (int i = 0; i < ids.size(); i++) {
            sql.append(i == 0 ? "(?, ?)" : ", (?, ?)");
        }
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql.append(')').toString())) {
            String processor = RoketLedger.processorName(key);
            int p = 1;
            for (String id : ids) {
                ps.setString(p++, processor);
                ps.setString(p++, id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read delivered records of " + key + ": " + e.getMessage(), e);
        }
    }

    /** Whether a record is written down as delivered (one lookup). */
    public boolean isDelivered(String date, String id) {
        return !deliveredAmong(date, List.of(id)).isEmpty();
    }

    /** Whether any record is written down as delivered for the ledger key (one index probe). */
    public boolean anyDelivered(String key) {
        return !query("SELECT 1 FROM CAMEL_MESSAGEPROCESSED WHERE processorName = ? LIMIT 1",
                RoketLedger.processorName(key)).isEmpty();
    }

    /** Open UNCERTAIN batches of the date: batch id to its record ids. */
    public Map<String, List<String>> openUncertain(String date) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map<String, Object> r : query("SELECT batch_id, record_ids FROM roket_batch WHERE upload_date = ? "
                + "AND state = 'UNCERTAIN' AND resolution IS NULL ORDER BY created_at", date)) {
            out.put((String) r.get("batch_id"), RoketSql.parseIds((String) r.get("record_ids")));
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
        return RoketSql.query(ds, sql, args);
    }
}
