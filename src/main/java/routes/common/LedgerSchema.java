package routes.common;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's schema against this build's Flyway scripts ({@code db/migration}): where it stands, bringing it up
 * to date ({@code flowledger migrate}, or every start with {@code flowledger.db.migrate=auto}), and the one line a
 * user sees when it is behind or ahead. Reading where it stands only reads {@code flyway_schema_history}, so a role
 * without DDL rights starts fine on a current schema.
 */
public final class LedgerSchema {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerSchema.class);
    public static final String MIGRATE_HINT = "run 'flowledger migrate' with the owner role";

    /** {@code flowledger.db.migrate}: migrate at start when behind (auto), or never run DDL and only check (off). */
    public enum Mode { AUTO, OFF }

    /**
     * Where the schema stands. {@code applied}: the highest applied version (null: empty schema); {@code needed}:
     * the highest version this build has; {@code missing}: this build's versions not applied yet; {@code unknown}:
     * applied versions this build does not know (a newer build migrated the DB); {@code changed}: applied versions whose
     * script in this build differs from what was applied.
     */
    public record State(MigrationVersion applied, MigrationVersion needed, List<MigrationVersion> missing,
                        List<MigrationVersion> unknown, List<MigrationVersion> changed) {

        public boolean behind() {
            return !missing.isEmpty();
        }

        public boolean ahead() {
            return !unknown.isEmpty();
        }

        /** Some missing version is lower than one applied (a pipeline's range added later): needs out-of-order. */
        boolean outOfOrder() {
            return applied != null && missing.stream().anyMatch(v -> v.compareTo(applied) < 0);
        }

        String at() {
            return applied == null ? "empty" : "at version " + applied;
        }

        /** The one line for a schema this build cannot run on yet. */
        String behindLine() {
            if (outOfOrder()) {
                return "the metadata DB schema is at version " + applied + " but lacks " + join(missing)
                        + ", which this build needs";
            }
            return "the metadata DB schema is " + at() + ", this build needs " + needed;
        }

        /** The one line for a schema a newer build has migrated. */
        String aheadLine() {
            return "the metadata DB schema is at version " + applied + ", newer than this build's " + needed
                    + " (applied by a newer flowledger: " + join(unknown) + "); running on it";
        }
    }

    private LedgerSchema() {
    }

    private static FluentConfiguration flyway(DataSource ds) {
        return Flyway.configure().dataSource(ds).locations("classpath:db/migration");
    }

    /** Where the schema stands (reads {@code flyway_schema_history} only; an absent one means empty). */
    public static State inspect(DataSource ds) {
        MigrationInfo[] all = flyway(ds).load().info().all();
        MigrationVersion applied = null;
        MigrationVersion needed = null;
        List<MigrationVersion> missing = new ArrayList<>();
        List<MigrationVersion> unknown = new ArrayList<>();
        List<MigrationVersion> changed = new ArrayList<>();
        for (MigrationInfo m : all) {
            MigrationVersion v = m.getVersion();
            if (v == null) {
                continue; // repeatable migrations: flowledger has none
            }
            MigrationState s = m.getState();
            if (s.isApplied() && !s.isFailed() && (applied == null || v.compareTo(applied) > 0)) {
                applied = v;
            }
            if (s == MigrationState.FUTURE_SUCCESS || s == MigrationState.FUTURE_FAILED) {
                unknown.add(v);
            } else if (s.isResolved() && (needed == null || v.compareTo(needed) > 0)) {
                needed = v;
            }
            if (s.isResolved() && !s.isApplied()) {
                missing.add(v);
            }
            if (s.isResolved() && s.isApplied() && !m.isChecksumMatching()) {
                changed.add(v);
            }
        }
        return new State(applied, needed, missing, unknown, changed);
    }

    /**
     * What the service and the jobs do at start: nothing when the schema is current (no DDL, not even a lock);
     * when it is behind, migrate ({@link Mode#AUTO}) or refuse ({@link Mode#OFF}). Throws {@link SchemaException}
     * (one line) when this role cannot bring it up to date.
     */
    public static void prepare(DataSource ds, Mode mode, String shownUrl) {
        State state = inspect(ds);
        refuseChanged(state);
        if (state.ahead()) {
            // A rolling upgrade runs the new build's migrations while old instances still run: they keep running.
            LOG.warn("{}", state.aheadLine());
        }
        if (!state.behind()) {
            LOG.info("Metadata DB {} at schema version {} (nothing to migrate)", shownUrl, state.applied());
            return;
        }
        if (mode == Mode.OFF) {
            throw new SchemaException(state.behindLine() + " (flowledger.db.migrate=off): " + MIGRATE_HINT);
        }
        String user = currentUser(ds);
        if (!mayCreate(ds)) {
            // Checked first so that a restricted role tries no DDL at all (Flyway would retry creating its table).
            throw new SchemaException(state.behindLine() + ", and role '" + user + "' may not change the schema: "
                    + MIGRATE_HINT);
        }
        try {
            MigrateResult r = migrate(ds, state);
            LOG.info("Metadata DB {} at schema version {} ({} migration(s) applied)", shownUrl,
                    r.targetSchemaVersion == null ? state.needed() : r.targetSchemaVersion, r.migrationsExecuted);
        } catch (RuntimeException e) {
            if (lacksPrivilege(e)) {
                throw new SchemaException(state.behindLine() + ", and role '" + user + "' may not change the schema: "
                        + MIGRATE_HINT);
            }
            throw e;
        }
    }

    /** What Flyway's validation refused before flowledger checked the schema itself: kept, in one line. */
    private static void refuseChanged(State state) {
        if (!state.changed().isEmpty()) {
            throw new SchemaException("the metadata DB's migration(s) " + join(state.changed()) + " differ from this"
                    + " build's scripts of the same version (checksum): a script was changed after it was applied");
        }
    }

    /** Applies what is missing (out of order only when a missing version is lower than one applied). */
    public static MigrateResult migrate(DataSource ds, State state) {
        // Flyway warns whenever out-of-order is on, which would alarm every healthy run: only when needed.
        return flyway(ds).outOfOrder(state.outOfOrder()).load().migrate();
    }

    /** Migrates and returns the summary line of {@code flowledger migrate}. */
    public static String migrateAndSummarize(DataSource ds) {
        State before = inspect(ds);
        refuseChanged(before);
        if (!before.behind()) {
            return "already at version " + before.applied()
                    + (before.ahead() ? ", newer than this build's " + before.needed() : "") + ", nothing to apply";
        }
        if (!mayCreate(ds)) {
            // Flyway would retry creating its history table for seconds before giving up.
            throw new SchemaException("the schema is " + before.at() + ", this build needs " + before.needed()
                    + ", and role '" + currentUser(ds) + "' may not change it: give flowledger.db.user/.password"
                    + " the owner role's credentials");
        }
        MigrateResult r = migrate(ds, before);
        State after = inspect(ds);
        return "migrated from " + (before.applied() == null ? "an empty schema" : "version " + before.applied())
                + " to version " + after.applied() + " (" + r.migrationsExecuted + " migration(s) applied"
                + (before.outOfOrder() ? ", " + join(before.missing()) + " out of order" : "") + ")";
    }

    /** PostgreSQL: may the connected role create objects in its current schema? Other databases: assumed yes. */
    static boolean mayCreate(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            if (!c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres")) {
                return true;
            }
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT has_schema_privilege(current_schema(), 'CREATE')")) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return true; // let the migration itself say what is wrong
        }
    }

    private static String currentUser(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            return c.getMetaData().getUserName();
        } catch (SQLException e) {
            return "?";
        }
    }

    /** PostgreSQL's insufficient_privilege (42501) or H2's "not enough rights" (90096) anywhere in the causes. */
    public static boolean lacksPrivilege(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && ("42501".equals(s.getSQLState()) || s.getErrorCode() == 90096)) {
                return true;
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("SQL State  : 42501") || m.contains("permission denied") || m.contains("must be owner")) {
                return true;
            }
        }
        return false;
    }

    private static String join(List<MigrationVersion> versions) {
        return String.join(", ", versions.stream().map(MigrationVersion::toString).toList());
    }
}
