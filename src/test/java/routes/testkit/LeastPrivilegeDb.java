package routes.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import routes.app.FlowledgerCli;

/**
 * A PostgreSQL metadata DB set up the way docs/production.md says: the SQL block of its least-privilege section is
 * read from the file and run as it stands (only the database name is made fresh), so the docs and the tests cannot
 * drift. Needs {@code @ExtendWith(PostgresServer.class)}.
 */
public final class LeastPrivilegeDb {

    public static final String OWNER = "flowledger_owner";
    public static final String APP = "flowledger_app";
    private static final Path DOCS = Path.of("docs/production.md");
    private static final String MARKER = "<!-- least-privilege-sql:";
    private static final AtomicInteger N = new AtomicInteger();

    /** The JDBC URL of the fresh database. */
    public final String url;

    private LeastPrivilegeDb(String url) {
        this.url = url;
    }

    /** The SQL block the docs give (what a DBA copies into psql). */
    public static String sqlFromDocs() {
        try {
            String doc = Files.readString(DOCS);
            int at = doc.indexOf(MARKER);
            if (at < 0) {
                throw new IllegalStateException(DOCS + " has no '" + MARKER + "' block");
            }
            Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(doc);
            if (!m.find(at)) {
                throw new IllegalStateException(DOCS + ": no ```sql block after the marker");
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The password the docs give a role ({@code CREATE ROLE r LOGIN PASSWORD '...'}). */
    public static String password(String role) {
        Matcher m = Pattern.compile("CREATE ROLE " + role + " LOGIN PASSWORD '([^']*)'").matcher(sqlFromDocs());
        if (!m.find()) {
            throw new IllegalStateException("the docs' SQL creates no role " + role);
        }
        return m.group(1);
    }

    /**
     * Runs the docs' SQL as the superuser for a fresh database (the roles are created once per server: they are
     * shared by every database of it) and returns it, empty: nothing migrated yet.
     */
    public static synchronized LeastPrivilegeDb create() {
        String any = PostgresServer.newDatabase();
        String server = any.substring(0, any.lastIndexOf('/') + 1);
        String name = "flowledger_lp_" + N.incrementAndGet() + "_" + System.nanoTime() % 100000;
        // The docs name the database 'flowledger'; the word alone, not the roles' flowledger_ prefix.
        String sql = sqlFromDocs().replaceAll("\\bflowledger\\b", name);
        Connection c = null;
        try {
            c = DriverManager.getConnection(server + "postgres", "postgres", "postgres");
            StringBuilder statement = new StringBuilder();
            for (String line : sql.split("\n")) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("--")) {
                    continue;
                }
                if (t.startsWith("\\c ")) { // psql's \connect
                    c.close();
                    c = DriverManager.getConnection(server + t.substring(3).strip(), "postgres", "postgres");
                    continue;
                }
                statement.append(t).append(' ');
                if (t.endsWith(";")) {
                    execute(c, statement.toString().strip());
                    statement.setLength(0);
                }
            }
            if (!statement.isEmpty()) {
                throw new IllegalStateException("the docs' SQL ends without ';': " + statement);
            }
            c.close();
        } catch (SQLException e) {
            throw new IllegalStateException("the docs' least-privilege SQL failed: " + e.getMessage(), e);
        }
        return new LeastPrivilegeDb(server + name);
    }

    private static void execute(Connection c, String statement) throws SQLException {
        Matcher role = Pattern.compile("^CREATE ROLE (\\w+)").matcher(statement);
        if (role.find() && roleExists(c, role.group(1))) {
            return; // created for an earlier database of this server
        }
        try (Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static boolean roleExists(Connection c, String role) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'")) {
            return rs.next();
        }
    }

    /** The settings of a service or job connecting as the app role, never running DDL. */
    public Map<String, String> appSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.db.url", url);
        m.put("flowledger.db.user", APP);
        m.put("flowledger.db.password", password(APP));
        m.put("flowledger.db.migrate", "off");
        return m;
    }

    /** The settings {@code flowledger migrate} runs with: the owner role. */
    public Map<String, String> ownerSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.db.url", url);
        m.put("flowledger.db.user", OWNER);
        m.put("flowledger.db.password", password(OWNER));
        return m;
    }

    /** Replaces a fixture's DB settings with the app role's on this database. */
    public Map<String, String> asApp(Map<String, String> settings) {
        Map<String, String> m = new LinkedHashMap<>(settings);
        m.putAll(appSettings());
        return m;
    }

    public Connection connectAs(String role) throws SQLException {
        return DriverManager.getConnection(url, role, password(role));
    }

    /** What {@code flowledger migrate} printed and returned, run in-process as a user would with {@code --config}. */
    public record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code flowledger --config F migrate} with these settings. */
    public static Result migrate(Map<String, String> settings) {
        return cli(settings, "migrate");
    }

    /** Runs {@code flowledger --config F ARGS...} in-process, settings in the file F, as a user runs a command. */
    public static synchronized Result cli(Map<String, String> settings, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            Path file = Files.createTempFile("migrate-", ".properties");
            StringBuilder props = new StringBuilder();
            settings.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
            Files.writeString(file, props);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            String[] all = new String[args.length + 2];
            all[0] = "--config";
            all[1] = file.toString();
            System.arraycopy(args, 0, all, 2, args.length);
            int code = FlowledgerCli.execute(all);
            Files.deleteIfExists(file);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Creates the database and migrates it to this build's version as the owner; fails the test otherwise. */
    public static LeastPrivilegeDb migrated() {
        LeastPrivilegeDb db = create();
        Result r = migrate(db.ownerSettings());
        if (r.exitCode() != 0) {
            throw new IllegalStateException("migrate as the owner failed: " + r.err() + r.out());
        }
        return db;
    }

    /** Every row of a query, run as {@code role}. */
    public List<List<Object>> query(String role, String sql) throws SQLException {
        try (Connection c = connectAs(role); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<List<Object>> rows = new ArrayList<>();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }
}
