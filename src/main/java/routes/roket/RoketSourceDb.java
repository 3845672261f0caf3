package routes.roket;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The source database as the {@code roketSource} DataSource the route's {@code sql:} step reads from: a new
 * connection per run (no pool: a run opens one or two), with the connection properties of
 * {@code flowledger.roket.source.properties} (Snowflake key-pair authentication: {@code private_key_file},
 * {@code private_key_file_pwd}), and auto-commit off, which PostgreSQL needs to stream with a fetch size.
 */
public class RoketSourceDb extends DriverManagerDataSource {

    public RoketSourceDb(RoketSettings s) {
        setUrl(s.sourceUrl());
        Properties p = new Properties();
        p.putAll(s.sourceProperties());
        if (!s.sourceUser().isEmpty()) {
            p.setProperty("user", s.sourceUser());
        }
        if (!s.sourcePassword().isEmpty()) {
            p.setProperty("password", s.sourcePassword());
        }
        setConnectionProperties(p);
    }

    @Override
    protected Connection getConnectionFromDriver(Properties props) throws SQLException {
        Connection c;
        try {
            c = super.getConnectionFromDriver(props);
        } catch (SQLException e) {
            // One line that names the source (never its credentials) and the driver's reason.
            throw new SQLException("cannot connect to the source " + safeUrl(getUrl()) + ": "
                    + oneLine(e.getMessage()), e.getSQLState(), e);
        }
        c.setAutoCommit(false);
        return c;
    }

    /** Counts the date's rows with {@code flowledger.roket.source.count-query}. */
    static long count(DataSource ds, RoketSettings s, String date) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(s.jdbcCountQuery())) {
            java.sql.Date d = java.sql.Date.valueOf(LocalDate.parse(date));
            for (int i = 1; i <= s.countParameterCount(); i++) {
                ps.setDate(i, d);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                c.rollback();
            }
        }
    }

    /** The URL without its query parameters (which may carry credentials). */
    static String safeUrl(String url) {
        int q = url.indexOf('?');
        int semi = url.indexOf(';');
        int cut = q < 0 ? semi : semi < 0 ? q : Math.min(q, semi);
        return cut < 0 ? url : url.substring(0, cut);
    }

    /**
     * The driver's message in one line, whole: H2 puts the SQL on a line of its own after "SQL statement:", and a
     * message cut there names the problem but not the statement. Where it is stored, the column's limit keeps the
     * head and marks the cut (RoketSql.excerpt).
     */
    static String oneLine(String s) {
        return s == null ? "no reason given" : routes.common.Messages.oneLine(s);
    }
}
