package routes.cubic;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The registry of Cubic tables (name and incoming prefix, ADR 5): filled from {@code flowledger.cubic.tables} at
 * start, from the {@code cubic-tables} command and from {@code POST /api/cubic/tables}. Registration is idempotent.
 */
public class CubicTables {

    /** A registered table. {@code columns}: the header its loads must carry, or null until the first load. */
    public record Table(long id, String name, String prefix, String columns) {

        /** ods_qlik, dmap or kafka: the segment after {@code cubic/}. */
        public String source() {
            String rest = prefix.substring(CubicSettings.PREFIX.length());
            return rest.substring(0, rest.indexOf('/'));
        }

        public boolean isOds() {
            return "ods_qlik".equals(source());
        }

        public boolean isChangeTable() {
            return isOds() && prefix.endsWith("__ct/");
        }

        /** The prefix whose snapshots this table's loads follow (an ODS change table follows its snapshot table). */
        public String snapshotPrefix() {
            return isChangeTable() ? prefix.substring(0, prefix.length() - "__ct/".length()) + "/" : prefix;
        }
    }

    private final DataSource ds;

    public CubicTables(DataSource ds) {
        this.ds = ds;
    }

    /** The ADR's table name for a prefix: {@code cubic/ods_qlik/EDW.SAMPLE/} is {@code cubic__ods_qlik__edw_sample}. */
    public static String nameFor(String prefix) {
        String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return p.toLowerCase(Locale.ROOT).replace("/", "__").replaceAll("[^a-z0-9_]", "_");
    }

    /** Null when name and prefix may be registered, else what is wrong with them. */
    public static String checkRegistration(String name, String prefix) {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,255}")) {
            return "table name '" + name + "' must be 1-255 of letters, digits, '_', '.', '-'";
        }
        if (prefix == null || !prefix.startsWith(CubicSettings.PREFIX) || !prefix.endsWith("/")
                || prefix.substring(CubicSettings.PREFIX.length()).split("/").length < 2) {
            return "prefix '" + prefix + "' of table " + name
                    + " must look like cubic/<source>/<table>/ (under cubic/, ending with '/')";
        }
        return null;
    }

    /** Registers (or confirms) a table; columns, when given, become the header its loads are checked against. */
    public Table register(String name, String prefix, String columns) {
        String problem = checkRegistration(name, prefix);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return Sql.tx(ds, c -> {
            Instant now = Instant.now();
            Sql.update(c, "INSERT INTO cubic_tables (name, s3_prefix, columns, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING", name, prefix, columns, now, now);
            Table t = byName(c, name).orElse(null);
            if (t == null || !t.prefix().equals(prefix)) {
                throw new IllegalArgumentException(t == null
                        ? "prefix " + prefix + " is already registered under another table name"
                        : "table " + name + " is already registered with prefix " + t.prefix());
            }
            if (columns != null && !columns.isBlank() && !columns.equals(t.columns())) {
                Sql.update(c, "UPDATE cubic_tables SET columns = ?, updated_at = ? WHERE id = ?", columns, now, t.id());
                t = new Table(t.id(), t.name(), t.prefix(), columns);
            }
            return t;
        });
    }

    public List<Table> all() {
        return Sql.run(ds, c -> {
            List<Table> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, s3_prefix, columns FROM cubic_tables ORDER BY name");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        });
    }

    public Optional<Table> byName(String name) {
        return Sql.run(ds, c -> byName(c, name));
    }

    private static Optional<Table> byName(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = Sql.prepare(c, "SELECT id, name, s3_prefix, columns FROM cubic_tables WHERE name = ?", name);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
    }

    /** The table whose prefix is the longest one the key starts with. */
    public static Optional<Table> owner(List<Table> tables, String key) {
        return tables.stream().filter(t -> key.startsWith(t.prefix()))
                .max(Comparator.comparingInt(t -> t.prefix().length()));
    }

    /**
     * Records the header of a table's first load as its known columns (only if none are known yet: two instances
     * may race, one wins) and returns the columns that now hold.
     */
    public String learnColumns(long tableId, String columns) {
        return Sql.tx(ds, c -> {
            Sql.update(c, "UPDATE cubic_tables SET columns = ?, updated_at = ? WHERE id = ? AND columns IS NULL",
                    columns, Instant.now(), tableId);
            try (PreparedStatement ps = Sql.prepare(c, "SELECT columns FROM cubic_tables WHERE id = ?", tableId);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    private static Table read(ResultSet rs) throws SQLException {
        return new Table(rs.getLong("id"), rs.getString("name"), rs.getString("s3_prefix"), rs.getString("columns"));
    }
}
