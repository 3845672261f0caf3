package routes.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;

/**
 * docs/production.md's least-privilege steps with the packaged jar: {@code migrate} as the owner (environment
 * variables, as in the docs), then a job as the app role with {@code FLOWLEDGER_DB_MIGRATE=off}.
 */
@ExtendWith(PostgresServer.class)
class MigrateJarIT {

    @TempDir
    Path dir;

    private static Map<String, String> env(Map<String, String> settings) {
        return Map.of("FLOWLEDGER_DB_URL", settings.get("flowledger.db.url"),
                "FLOWLEDGER_DB_USER", settings.get("flowledger.db.user"),
                "FLOWLEDGER_DB_PASSWORD", settings.get("flowledger.db.password"),
                "FLOWLEDGER_DB_MIGRATE", settings.getOrDefault("flowledger.db.migrate", "auto"));
    }

    @Test
    void migrate_as_the_owner_then_a_job_as_the_app_role() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.create();
        Files.createDirectories(dir.resolve("a"));
        try (JarProcess jar = JarProcess.start(dir.resolve("a"), env(db.ownerSettings()), List.of(), "migrate")) {
            assertThat(jar.waitFor(60)).as(jar.output()).isZero();
            assertThat(jar.output()).containsPattern("flowledger migrate: metadata DB jdbc:postgresql://\\S+ migrated from"
                    + " an empty schema to version \\d+ \\(\\d+ migration\\(s\\) applied\\)")
                    .doesNotContain(LeastPrivilegeDb.password(LeastPrivilegeDb.OWNER));
        }
        Files.createDirectories(dir.resolve("b"));
        try (JarProcess jar = JarProcess.start(dir.resolve("b"), env(db.appSettings()), List.of(), "status", "no-such-flow")) {
            assertThat(jar.waitFor(60)).as(jar.output()).isEqualTo(1);
            assertThat(jar.output()).contains("flowledger status: no status known for dataflow no-such-flow")
                    .doesNotContain("Exception");
        }
    }
}
