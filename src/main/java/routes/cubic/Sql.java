package routes.cubic;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import routes.common.Transactions;
import routes.common.Transactions.Work;

/** Small JDBC helpers: UTC timestamps that read back the same on H2 and PostgreSQL, and transactions. */
final class Sql {

    private Sql() {
    }

    static <T> T tx(DataSource ds, Work<T> work) {
        try {
            return Transactions.inTransaction(ds, work);
        } catch (SQLException e) {
            throw new IllegalStateException("metadata DB: " + e.getMessage(), e);
        }
    }

    static <T> T run(DataSource ds, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new IllegalStateException("metadata DB: " + e.getMessage(), e);
        }
    }

    static void setTime(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setObject(i, null);
        } else {
            ps.setObject(i, LocalDateTime.ofInstant(t, ZoneOffset.UTC));
        }
    }

    static Instant time(ResultSet rs, String col) throws SQLException {
        LocalDateTime t = rs.getObject(col, LocalDateTime.class);
        return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }

    static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Instant t) {
                setTime(ps, i + 1, t);
            } else {
                ps.setObject(i + 1, a);
            }
        }
        return ps;
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
