package routes.roket;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.temporal.TemporalAccessor;
import java.util.Base64;

/**
 * The source query of one date, read as a stream: a forward-only result set with a fetch size (auto-commit off,
 * which PostgreSQL needs to honour it), one row at a time, so a day of any size never sits in memory. Each row
 * becomes a JSON object of its columns by JDBC label, dates and times as ISO-8601 strings.
 */
final class RoketSource implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    private final Connection connection;
    private final PreparedStatement statement;
    private final ResultSet rs;
    private final String[] labels;
    private final int idIndex;

    private RoketSource(Connection connection, PreparedStatement statement, ResultSet rs, String[] labels, int idIndex) {
        this.connection = connection;
        this.statement = statement;
        this.rs = rs;
        this.labels = labels;
        this.idIndex = idIndex;
    }

    static Connection connect(RoketSettings s) throws SQLException {
        return DriverManager.getConnection(s.sourceUrl(), s.sourceUser(), s.sourcePassword());
    }

    /** Counts the date's rows (the dataSetDetails record count and the empty-source guard). */
    static long count(RoketSettings s, String date) throws SQLException {
        try (Connection c = connect(s);
             PreparedStatement ps = c.prepareStatement(s.jdbcCountQuery())) {
            bindDate(ps, s.countParameterCount(), date);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static RoketSource open(RoketSettings s, String date) throws SQLException {
        Connection c = connect(s);
        try {
            c.setAutoCommit(false);
            PreparedStatement ps = c.prepareStatement(s.jdbcQuery(), ResultSet.TYPE_FORWARD_ONLY,
                    ResultSet.CONCUR_READ_ONLY);
            ps.setFetchSize(s.fetchSize());
            bindDate(ps, s.dateParameterCount(), date);
            ResultSet rs = ps.executeQuery();
            ResultSetMetaData md = rs.getMetaData();
            String[] labels = new String[md.getColumnCount()];
            int idIndex = -1;
            for (int i = 0; i < labels.length; i++) {
                labels[i] = md.getColumnLabel(i + 1);
                if (labels[i].equalsIgnoreCase(s.idColumn())) {
                    idIndex = i + 1;
                }
            }
            if (idIndex < 0) {
                rs.close();
                ps.close();
                throw new IllegalArgumentException("flowledger.roket.id-column '" + s.idColumn()
                        + "' is not a column of the source query (columns: " + String.join(", ", labels) + ")");
            }
            return new RoketSource(c, ps, rs, labels, idIndex);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static void bindDate(PreparedStatement ps, int parameters, String date) throws SQLException {
        java.sql.Date d = java.sql.Date.valueOf(LocalDate.parse(date));
        for (int i = 1; i <= parameters; i++) {
            ps.setDate(i, d);
        }
    }

    /** Moves to the next row and returns its id, or null at the end. */
    String nextId() throws SQLException {
        if (!rs.next()) {
            return null;
        }
        String id = rs.getString(idIndex);
        if (id == null) {
            throw new IllegalStateException("a source row has no value in its id column '" + labels[idIndex - 1]
                    + "' (row " + rs.getRow() + "): it cannot be tracked, so nothing of it is sent");
        }
        return id;
    }

    /** The current row as a JSON object (built only for rows that will be sent). */
    String json() throws SQLException {
        StringWriter w = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            for (int i = 0; i < labels.length; i++) {
                g.writeFieldName(labels[i]);
                write(g, rs.getObject(i + 1));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException, SQLException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof BigDecimal n) {
            g.writeNumber(n);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof java.sql.Date d) {
            g.writeString(d.toLocalDate().toString());
        } else if (v instanceof Timestamp t) {
            g.writeString(t.toLocalDateTime().toString());
        } else if (v instanceof Time t) {
            g.writeString(t.toLocalTime().toString());
        } else if (v instanceof TemporalAccessor t) {
            g.writeString(t.toString());
        } else if (v instanceof Clob c) {
            g.writeString(c.getSubString(1, (int) c.length()));
        } else if (v instanceof byte[] bytes) {
            g.writeString(Base64.getEncoder().encodeToString(bytes));
        } else {
            g.writeString(v.toString());
        }
    }


    @Override
    public void close() {
        try {
            rs.close();
            statement.close();
            connection.rollback();
        } catch (SQLException ignored) {
            // closing anyway
        } finally {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing left to do
            }
        }
    }
}
