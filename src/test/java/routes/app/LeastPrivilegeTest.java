package routes.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import routes.common.LedgerSchema;
import routes.common.MetadataDb;
import routes.sandbox.Ports;
import routes.testkit.CommandProcess;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;

/**
 * The metadata DB with two roles, set up by the SQL of docs/production.md: {@code migrate} changes the schema as
 * the owner; the service runs with the app role, which cannot change it, and says in one line when it is behind.
 * (Each pipeline running with the app role: the *AppRoleTest class of its package.)
 */
@ExtendWith(PostgresServer.class)
class LeastPrivilegeTest {

    /** This build's newest migration version, from the scripts' names. */
    static String latestVersion() throws Exception {
        try (Stream<Path> scripts = Files.list(Path.of("src/main/resources/db/migration"))) {
            return scripts.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max(Integer::compare)
                    .map(String::valueOf).orElseThrow();
        }
    }

    @Test
    void the_app_role_cannot_create_a_table() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        try (Connection c = db.connectAs(LeastPrivilegeDb.APP); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("CREATE TABLE sneaky (id INT)")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"))
                    .hasMessageContaining("permission denied for schema public");
            assertThatThrownBy(() -> s.execute("ALTER TABLE roket_batch ADD COLUMN x INT"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("must be owner");
            assertThatThrownBy(() -> s.execute("DROP TABLE cubic_loads")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("must be owner");
            // What it may do: read and write the ledger's tables.
            s.execute("INSERT INTO camel_messageprocessed (processorName, messageId, createdAt)"
                    + " VALUES ('t', 'm', CURRENT_TIMESTAMP)");
            assertThat(s.executeUpdate("DELETE FROM camel_messageprocessed WHERE processorName = 't'")).isEqualTo(1);
        }
        // Every table belongs to the owner, so later migrations (run by the owner) can change them.
        assertThat(db.query(LeastPrivilegeDb.OWNER,
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"))
                .containsExactly(List.of(LeastPrivilegeDb.OWNER));
    }

    @Test
    void migrate_as_the_owner_is_idempotent() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.create();
        String latest = latestVersion();

        LeastPrivilegeDb.Result first = LeastPrivilegeDb.migrate(db.ownerSettings());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out().strip()).matches("flowledger migrate: metadata DB jdbc:postgresql://\\S+ migrated from an"
                + " empty schema to version " + latest + " \\(\\d+ migration\\(s\\) applied\\)");

        LeastPrivilegeDb.Result second = LeastPrivilegeDb.migrate(db.ownerSettings());
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.out().strip()).endsWith("already at version " + latest + ", nothing to apply");
        assertThat(second.out()).doesNotContain(LeastPrivilegeDb.password(LeastPrivilegeDb.OWNER));
    }

    @Test
    void migrate_as_the_app_role_fails_in_one_line() {
        LeastPrivilegeDb db = LeastPrivilegeDb.create();
        LeastPrivilegeDb.Result r = LeastPrivilegeDb.migrate(db.appSettings());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().filter(l -> l.startsWith("flowledger migrate:")).toList()).singleElement()
                .asString().contains("not migrated: the schema is empty, this build needs ")
                .endsWith("and role 'flowledger_app' may not change it: give flowledger.db.user/.password the owner"
                        + " role's credentials");
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void the_app_role_on_a_schema_behind_stops_in_one_line(@TempDir Path dir) throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.create();
        Map<String, String> owner = db.ownerSettings();
        // An older release's schema: migrated by the owner up to 41 only.
        Flyway.configure().dataSource(db.url, owner.get("flowledger.db.user"), owner.get("flowledger.db.password"))
                .locations("classpath:db/migration").target("41").load().migrate();
        String expected = "flowledger: the metadata DB schema is at version 41, this build needs " + latestVersion();

        // The service as a user starts it (its own JVM, production logging), with migrate=off.
        Map<String, String> settings = new LinkedHashMap<>(db.appSettings());
        settings.put("flowledger.http.port", String.valueOf(Ports.free()));
        settings.put("flowledger.management.port", String.valueOf(Ports.free()));
        try (CommandProcess service = CommandProcess.run(dir, settings)) {
            assertThat(service.exitCode()).as(service.describe()).isEqualTo(2);
            assertThat(service.stderr().lines().filter(l -> l.startsWith("flowledger:")).toList()).as(service.describe())
                    .containsExactly(expected + " (flowledger.db.migrate=off): run 'flowledger migrate' with the owner role");
            assertThat(service.stderr() + service.stdout()).doesNotContain("\tat ").doesNotContain("Exception");
        }

        // migrate=auto (the default) with the app role: it checks its right first and tries no DDL.
        settings.put("flowledger.db.migrate", "auto");
        Config config = TestApp.config(settings);
        assertThatThrownBy(() -> new FlowledgerApp(config).startJob()).isInstanceOf(routes.common.SchemaException.class)
                .hasMessage(expected.substring("flowledger: ".length())
                        + ", and role 'flowledger_app' may not change the schema: run 'flowledger migrate' with the owner role");
        assertThat(db.query(LeastPrivilegeDb.OWNER, "SELECT MAX(version::int) FROM flyway_schema_history"))
                .as("nothing migrated").containsExactly(List.of(41));
    }

    @Test
    void a_schema_ahead_is_reported_in_one_line_and_opens() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        // A newer release's migration, applied by its migrate.
        try (Connection c = db.connectAs(LeastPrivilegeDb.OWNER); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE newer_feature (id INT)");
            s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
                    + " installed_by, execution_time, success) SELECT MAX(installed_rank) + 1, '99', 'newer feature',"
                    + " 'SQL', 'V99__newer_feature.sql', 1, 'flowledger_owner', 1, TRUE FROM flyway_schema_history");
        }
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(LedgerSchema.class);
        logger.addAppender(log);
        // What the service and every job do first (the pipelines on a current schema: the *AppRoleTest classes).
        Map<String, String> app = db.appSettings();
        try (MetadataDb ledger = MetadataDb.open(db.url, app.get("flowledger.db.user"), app.get("flowledger.db.password"),
                2, 10_000, LedgerSchema.Mode.OFF)) {
            assertThat(ledger.isReachable()).isTrue();
            assertThat(log.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .extracting(ILoggingEvent::getFormattedMessage).containsExactly("the metadata DB schema is at"
                            + " version 99, newer than this build's " + latestVersion()
                            + " (applied by a newer flowledger: 99); running on it");
        } finally {
            logger.detachAppender(log);
        }
        LeastPrivilegeDb.Result again = LeastPrivilegeDb.migrate(db.ownerSettings());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out())
                .contains("already at version 99, newer than this build's " + latestVersion() + ", nothing to apply");
    }
}
