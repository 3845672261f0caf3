package routes.common;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The one way a ledger write spans several statements: one connection, committed when the work returns, rolled
 * back when it throws, the connection's auto-commit mode restored before it goes back to the pool.
 */
public final class Transactions {

    private Transactions() {
    }

    /** Work on one connection inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public static <T> T inTransaction(DataSource ds, Work<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }
}
