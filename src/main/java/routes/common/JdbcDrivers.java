package routes.common;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code flowledger.drivers.dir}: the JDBC driver jars in that folder are loaded at start and registered with
 * {@link DriverManager}, so any source URL they accept works (Snowflake's driver ships in the jar; others are
 * dropped in). Each driver is registered through a shim, because DriverManager only hands out drivers visible to
 * the caller's class loader.
 */
public final class JdbcDrivers {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbcDrivers.class);
    private static final List<String> LOADED = new ArrayList<>();

    private JdbcDrivers() {
    }

    /** Loads the drivers of the folder (once per jar); returns their class names. An empty folder name loads none. */
    public static synchronized List<String> load(String dir) {
        if (dir == null || dir.isBlank()) {
            return List.of();
        }
        Path folder = Path.of(dir);
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (!LOADED.contains(p.toAbsolutePath().toString())) {
                    jars.add(p.toUri().toURL());
                    LOADED.add(p.toAbsolutePath().toString());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("flowledger.drivers.dir " + dir + " cannot be read: " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        if (jars.isEmpty()) {
            return names;
        }
        ClassLoader loader = new URLClassLoader(jars.toArray(URL[]::new), JdbcDrivers.class.getClassLoader());
        for (Driver d : ServiceLoader.load(Driver.class, loader)) {
            if (d.getClass().getClassLoader() != loader) {
                continue; // already on the class path
            }
            try {
                DriverManager.registerDriver(new Shim(d));
                names.add(d.getClass().getName());
            } catch (SQLException e) {
                throw new IllegalStateException("cannot register JDBC driver " + d.getClass().getName() + ": "
                        + e.getMessage(), e);
            }
        }
        LOG.info("JDBC drivers loaded from {}: {}", folder, names);
        return names;
    }

    /** A driver of another class loader, registered as one of ours. */
    private record Shim(Driver driver) implements Driver {
        @Override
        public Connection connect(String url, Properties info) throws SQLException {
            return driver.connect(url, info);
        }

        @Override
        public boolean acceptsURL(String url) throws SQLException {
            return driver.acceptsURL(url);
        }

        @Override
        public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
            return driver.getPropertyInfo(url, info);
        }

        @Override
        public int getMajorVersion() {
            return driver.getMajorVersion();
        }

        @Override
        public int getMinorVersion() {
            return driver.getMinorVersion();
        }

        @Override
        public boolean jdbcCompliant() {
            return driver.jdbcCompliant();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return driver.getParentLogger();
        }
    }
}
