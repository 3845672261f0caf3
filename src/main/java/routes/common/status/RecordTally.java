package routes.common.status;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The counting rule of a dataflow: a record (a status message's recordId, covering its recordCount records) counts
 * once as done when it first reaches a terminal status (SUCCESS, SKIPPED, FAILED) in any stage, and once as failed
 * when it first fails, whichever stages report it afterwards (a cubic load failed by its ingest and again by its
 * error step is one failed record). The keys already counted live in {@code status_record}; a batch inserts its
 * keys in one statement and counts only the ones that were new, so the rule costs one set-based insert per batch,
 * not a query per event.
 */
final class RecordTally {

    /** Records newly done and newly failed in one dataflow by a batch. */
    static final class Delta {
        long done;
        long failed;
    }

    private record Key(String correlationId, String recordId, String outcome) {
    }

    private RecordTally() {
    }

    /** Counts the batch's new events (already inserted as raw rows); returns the deltas per correlationId. */
    static Map<String, Delta> count(Connection c, boolean postgres, Collection<StatusEvent> fresh, Instant now)
            throws SQLException {
        Map<Key, Long> keys = new LinkedHashMap<>(); // the first event of a key in the batch gives its records
        for (StatusEvent e : fresh) {
            StatusEvent.Props p = e.properties();
            if (!StatusEvent.STATUS.equals(e.kind()) || p.recordId() == null || !DataflowRules.isTerminal(p.status())) {
                continue;
            }
            keys.putIfAbsent(new Key(p.correlationId(), p.recordId(), "D"), e.records());
            if ("FAILED".equals(p.status())) {
                keys.putIfAbsent(new Key(p.correlationId(), p.recordId(), "F"), e.records());
            }
        }
        Map<String, Delta> out = new HashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        List<Key> order = new ArrayList<>(keys.keySet());
        for (Key k : postgres ? insertPostgres(c, order, keys, now) : insertBatch(c, order, keys, now)) {
            Delta d = out.computeIfAbsent(k.correlationId(), x -> new Delta());
            if ("D".equals(k.outcome())) {
                d.done += keys.get(k);
            } else {
                d.failed += keys.get(k);
            }
        }
        return out;
    }

    private static List<Key> insertBatch(Connection c, List<Key> order, Map<Key, Long> keys, Instant now)
            throws SQLException {
        List<Key> inserted = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO status_record (correlation_id, record_id, outcome, "
                + "records, counted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (Key k : order) {
                ps.setString(1, k.correlationId());
                ps.setString(2, k.recordId());
                ps.setString(3, k.outcome());
                ps.setLong(4, keys.get(k));
                ps.setObject(5, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 0) {
                    inserted.add(order.get(i));
                }
            }
        }
        return inserted;
    }

    /** PostgreSQL: the batch's keys in one statement (arrays unnested), answering which were new. */
    private static List<Key> insertPostgres(Connection c, List<Key> order, Map<Key, Long> keys, Instant now)
            throws SQLException {
        int n = order.size();
        String[][] cols = new String[4][n];
        Map<Key, Key> byKey = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Key k = order.get(i);
            cols[0][i] = k.correlationId();
            cols[1][i] = k.recordId();
            cols[2][i] = k.outcome();
            cols[3][i] = keys.get(k).toString();
            byKey.put(k, k);
        }
        List<Key> inserted = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO status_record (correlation_id, record_id, outcome, "
                + "records, counted_at) SELECT cid, r, o, n::bigint, ?::timestamptz FROM unnest(?::text[], ?::text[], "
                + "?::text[], ?::text[]) AS u(cid, r, o, n) ON CONFLICT DO NOTHING "
                + "RETURNING correlation_id, record_id, outcome")) {
            ps.setString(1, now.toString());
            for (int i = 0; i < cols.length; i++) {
                ps.setArray(i + 2, c.createArrayOf("text", cols[i]));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(byKey.get(new Key(rs.getString(1), rs.getString(2), rs.getString(3))));
                }
            }
        }
        return inserted;
    }

    /**
     * Forgets the keys of dataflows last heard of before {@code cutoff} (their raw rows are purged too), a chunk
     * of dataflows at a time. By dataflow, not by key age: a dataflow still heard of keeps all its keys, so a late
     * message about an old record is not counted again.
     */
    static void purgeBefore(Connection c, Instant cutoff, int chunk) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM status_record WHERE correlation_id IN (SELECT "
                + "d.correlation_id FROM status_dataflow d WHERE d.last_ts < ? AND EXISTS (SELECT 1 FROM status_record r "
                + "WHERE r.correlation_id = d.correlation_id) FETCH FIRST " + chunk + " ROWS ONLY)")) {
            while (true) {
                ps.setObject(1, OffsetDateTime.ofInstant(cutoff, ZoneOffset.UTC));
                if (ps.executeUpdate() == 0) {
                    return;
                }
            }
        }
    }
}
