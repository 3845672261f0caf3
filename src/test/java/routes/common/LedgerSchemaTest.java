package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import routes.testkit.TestDatabase;

/**
 * Where the schema stands and what start-up does about it, on H2 (the PostgreSQL roles: LeastPrivilegeTest). A
 * pipeline's migration range added to an older ledger brings a version lower than one applied: it still counts
 * as missing, is named in the one line, and is applied out of order by auto and by migrate.
 */
class LedgerSchemaTest {

    /** This build's newest migration (the pipelines add theirs; the messages name it). */
    private static final String LATEST;

    static {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration"))) {
            LATEST = String.valueOf(files.map(f -> f.getFileName().toString())
                    .filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A ledger migrated by a build that did not have V41 yet (applied up to the newest, 41 missing). */
    private static String ledgerWithout41() throws Exception {
        String url = TestDatabase.H2.newUrl();
        MetadataDb.open(url, "sa", "", 2).close();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE replay_days DROP COLUMN kafka_txn");
            s.execute("DELETE FROM \"flyway_schema_history\" WHERE \"version\" = '41'");
        }
        return url;
    }

    @Test
    void with_migrate_off_a_missing_lower_version_stops_the_start_naming_it() throws Exception {
        String url = ledgerWithout41();
        assertThatThrownBy(() -> MetadataDb.open(url, "sa", "", 2, 10_000, LedgerSchema.Mode.OFF))
                .isInstanceOf(SchemaException.class)
                .hasMessage("the metadata DB schema is at version " + LATEST + " but lacks 41, which this build needs"
                        + " (flowledger.db.migrate=off): run 'flowledger migrate' with the owner role");
    }

    @Test
    void auto_and_migrate_apply_a_missing_lower_version_out_of_order() throws Exception {
        String url = ledgerWithout41();
        try (MetadataDb db = MetadataDb.open(url, "sa", "", 2, 10_000, LedgerSchema.Mode.AUTO)) {
            assertThat(LedgerSchema.inspect(db.dataSource()).behind()).isFalse();
        }
        String again = ledgerWithout41();
        assertThat(MetadataDb.migrate(again, "sa", "")).isEqualTo("migrated from version " + LATEST + " to version " + LATEST
                + " (1 migration(s) applied, 41 out of order)");
        assertThat(MetadataDb.migrate(again, "sa", "")).isEqualTo("already at version " + LATEST + ", nothing to apply");
    }

    @Test
    void a_current_schema_opens_with_migrate_off() throws Exception {
        String url = TestDatabase.H2.newUrl();
        MetadataDb.open(url, "sa", "", 2).close();
        try (MetadataDb db = MetadataDb.open(url, "sa", "", 2, 10_000, LedgerSchema.Mode.OFF)) {
            assertThat(db.isReachable()).isTrue();
        }
    }

    @Test
    void an_applied_script_changed_since_stops_the_start_in_one_line() throws Exception {
        String url = TestDatabase.H2.newUrl();
        MetadataDb.open(url, "sa", "", 2).close();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute("UPDATE \"flyway_schema_history\" SET \"checksum\" = 42 WHERE \"version\" = '20'");
        }
        assertThatThrownBy(() -> MetadataDb.open(url, "sa", "", 2)).isInstanceOf(SchemaException.class)
                .hasMessage("the metadata DB's migration(s) 20 differ from this build's scripts of the same version"
                        + " (checksum): a script was changed after it was applied");
    }
}
