package routes.patterns;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import routes.common.Transactions;
import routes.common.Transactions.Work;

/** Small JDBC helpers over the metadata DB: one transaction per call of {@link #tx}, plain statements. */
final class Jdbc {

    private final DataSource ds;

    Jdbc(DataSource ds) {
        this.ds = ds;
    }

    <T> T tx(Work<T> work) {
        try {
            return Transactions.inTransaction(ds, work);
        } catch (SQLException e) {
            throw new IllegalStateException("metadata DB: " + e.getMessage(), e);
        }
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    static List<Map<String, Object>> query(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            List<Map<String, Object>> out = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    if (v instanceof java.sql.Clob clob) {
                        v = clob.getSubString(1, (int) clob.length());
                    } else if (v instanceof java.time.OffsetDateTime odt) {
                        v = odt.toInstant().toString();
                    } else if (v instanceof java.sql.Timestamp ts) {
                        v = ts.toInstant().toString();
                    }
                    row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), v);
                }
                out.add(row);
            }
            return out;
        }
    }

    static Map<String, Object> one(Connection c, String sql, Object... args) throws SQLException {
        List<Map<String, Object>> rows = query(c, sql, args);
        return rows.isEmpty() ? null : rows.get(0);
    }

    static long nextSeq(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT nextval('patterns_seq')"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }
}
