package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.flywaydb.core.api.FlywayException;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;

/** The same Flyway scripts bring H2 and PostgreSQL to the same schema; the idempotent repository works on both. */
@ExtendWith(PostgresServer.class)
class MetadataDbTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void migrations_run_once_and_a_restart_finds_the_schema_current(TestDatabase database) throws Exception {
        String url = database.newUrl();
        try (MetadataDb db = MetadataDb.open(url, database.user(), database.password(), 2)) {
            assertThat(appliedMigrations(db)).isGreaterThanOrEqualTo(1);
        }
        try (MetadataDb again = MetadataDb.open(url, database.user(), database.password(), 2)) {
            assertThat(again.isReachable()).isTrue();
            assertThat(appliedMigrations(again)).as("nothing applied twice").isEqualTo(countScripts());
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void the_idempotent_repository_remembers_a_message_across_instances(TestDatabase database) throws Exception {
        String url = database.newUrl();
        try (MetadataDb db = MetadataDb.open(url, database.user(), database.password(), 4);
             DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.start();
            JdbcMessageIdRepository first = repository(db, camel);
            JdbcMessageIdRepository second = repository(db, camel); // another instance on the same DB
            assertThat(first.add("2026-11-20|42")).isTrue();
            assertThat(second.add("2026-11-20|42")).as("already recorded by the other instance").isFalse();
            assertThat(second.contains("2026-11-20|42")).isTrue();
            assertThat(second.contains("2026-11-21|42")).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_unreachable_database_fails_start_up_with_a_clear_error(TestDatabase database) {
        String bad = database == TestDatabase.H2 ? "jdbc:h2:tcp://127.0.0.1:1/nowhere" : "jdbc:postgresql://127.0.0.1:1/nowhere";
        assertThatThrownBy(() -> MetadataDb.open(bad, "u", "p", 1, 1000)).isInstanceOf(RuntimeException.class)
                .isNotInstanceOf(FlywayException.class);
    }

    private static JdbcMessageIdRepository repository(MetadataDb db, DefaultCamelContext camel) throws Exception {
        JdbcMessageIdRepository r = new JdbcMessageIdRepository(db.dataSource(), "roket-upload");
        r.setCreateTableIfNotExists(false);
        r.start();
        return r;
    }

    private static int appliedMigrations(MetadataDb db) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"success\" = TRUE AND \"version\" IS NOT NULL")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int countScripts() throws Exception {
        java.net.URL dir = MetadataDbTest.class.getClassLoader().getResource("db/migration");
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(dir.toURI()))) {
            return (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
        }
    }
}
