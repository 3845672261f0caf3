package routes.common.status;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;
import routes.common.Transactions;

/**
 * The durable dead-letter of status events ({@code status_dead_letter} in the metadata DB): events the transport
 * could not deliver (the status store failing, Kafka unreachable, a job exiting) are kept here, and
 * {@link #replay} stores them once the store works again. Keeping and replaying are idempotent on the event id.
 */
public final class StatusDeadLetters {

    private static final int MAX_REASON = 2000;

    private final DataSource dataSource;

    public StatusDeadLetters(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Keeps the events (one transaction); an event already kept is not kept twice. */
    public void keep(Collection<StatusEvent> events, String transport, String reason) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        Transactions.inTransaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO status_dead_letter (event_id, correlation_id, "
                    + "event_json, transport, reason, kept_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                for (StatusEvent e : events) {
                    ps.setString(1, e.properties().eventId());
                    ps.setString(2, e.properties().correlationId());
                    ps.setString(3, new String(StatusCodec.toJson(e), StandardCharsets.UTF_8));
                    ps.setString(4, transport);
                    ps.setString(5, cut(reason));
                    ps.setObject(6, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Events waiting to be replayed. */
    public long pending() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*) FROM status_dead_letter"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Stores up to {@code max} kept events, oldest first, then forgets them; returns how many were replayed. If the
     * store still fails, the events stay (with the error) and the exception is thrown.
     */
    public int replay(StatusStore store, int max) throws SQLException {
        List<String> ids = new ArrayList<>();
        List<StatusEvent> events = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT event_id, event_json FROM status_dead_letter ORDER BY kept_at, event_id FETCH FIRST "
                        + max + " ROWS ONLY")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                    try {
                        events.add(StatusCodec.fromJson(rs.getString(2).getBytes(StandardCharsets.UTF_8),
                                rs.getString(1), Instant.now()));
                    } catch (StatusCodec.Malformed m) {
                        // kept events were checked before; one that no longer parses cannot be stored, ever
                        StatusEmitter.STATUS_LOG.warn("unreplayable status event ({}): {}", m.getMessage(), rs.getString(2));
                    }
                }
            }
        }
        if (ids.isEmpty()) {
            return 0;
        }
        try {
            store.persist(events); // idempotent: an event stored before a crash here is a no-op the next time
        } catch (SQLException | RuntimeException e) {
            noteFailure(ids, e);
            throw e;
        }
        Transactions.inTransaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM status_dead_letter WHERE event_id = ?")) {
                for (String id : ids) {
                    ps.setString(1, id);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        return ids.size();
    }

    private void noteFailure(List<String> ids, Exception e) {
        try {
            Transactions.inTransaction(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE status_dead_letter SET attempts = attempts + 1, "
                        + "last_error = ? WHERE event_id = ?")) {
                    for (String id : ids) {
                        ps.setString(1, cut(e.getClass().getSimpleName() + ": " + e.getMessage()));
                        ps.setString(2, id);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return null;
            });
        } catch (SQLException ignored) {
            // the replay failed already; the next one tries again either way
        }
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 1) + "…";
    }
}
