package routes.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {

    @TempDir
    Path dir;

    private Path file(String content) throws Exception {
        Path f = dir.resolve("flowledger.properties");
        Files.writeString(f, content);
        return f;
    }

    @Test
    void every_design_key_has_a_place_in_application_properties() {
        Config c = Config.load(null, Map.of(), new Properties(), Map.of());
        for (String key : new String[] {"flowledger.db.url", "flowledger.db.user", "flowledger.db.password",
            "flowledger.http.port", "flowledger.management.port", "flowledger.routes.dir", "flowledger.routes.reload",
            "flowledger.roket-upload.enabled", "flowledger.status.enabled", "flowledger.cubic-ingestion.enabled",
            "flowledger.replay.enabled", "flowledger.patterns.enabled", "flowledger.roket.source.url",
            "flowledger.roket.source.user", "flowledger.roket.source.password", "flowledger.roket.source.query",
            "flowledger.roket.id-column", "flowledger.roket.api.url", "flowledger.roket.api.token",
            "flowledger.roket.batch-size", "flowledger.roket.concurrency", "flowledger.roket.request-timeout",
            "flowledger.roket.schedule", "flowledger.kafka.brokers", "flowledger.status.topic", "flowledger.s3.endpoint",
            "flowledger.s3.region", "flowledger.s3.access-key", "flowledger.s3.secret-key",
            "flowledger.cubic.incoming-bucket", "flowledger.cubic.springboard-bucket", "flowledger.cubic.archive-bucket",
            "flowledger.cubic.error-bucket", "flowledger.cubic.tables", "flowledger.cubic.poll-interval",
            "flowledger.azure.connection-string", "flowledger.druid.url", "flowledger.slack.webhook-url"}) {
            assertThat(c.asProperties().stringPropertyNames()).as(key).contains(key);
        }
        assertThat(c.get("flowledger.http.port")).isEqualTo("8080");
        assertThat(c.get("flowledger.management.port")).isEqualTo("9876");
        assertThat(c.get("flowledger.status.topic")).isEqualTo("dataflow.status");
        assertThat(c.get("flowledger.roket.batch-size")).isEqualTo("100");
    }

    @Test
    void overrides_apply_in_order_file_then_environment_then_system_property() throws Exception {
        Path f = file("flowledger.http.port=1111\nflowledger.management.port=2222\nflowledger.status.topic=from-file\n");
        Map<String, String> env = Map.of("FLOWLEDGER_MANAGEMENT_PORT", "3333", "FLOWLEDGER_STATUS_TOPIC", "from-env");
        Properties sys = new Properties();
        sys.setProperty("flowledger.status.topic", "from-sys");

        Config c = Config.load(f, env, sys, Map.of());

        assertThat(c.get("flowledger.http.port")).isEqualTo("1111");          // file over default
        assertThat(c.get("flowledger.management.port")).isEqualTo("3333");    // env over file
        assertThat(c.get("flowledger.status.topic")).isEqualTo("from-sys");   // -D over env
        assertThat(c.get("flowledger.kafka.brokers")).isEqualTo("localhost:9092"); // default stays
        assertThat(c.origin("flowledger.status.topic")).isEqualTo("-Dflowledger.status.topic");
        assertThat(c.origin("flowledger.management.port")).isEqualTo("environment FLOWLEDGER_MANAGEMENT_PORT");
    }

    @Test
    void environment_names_map_dots_and_dashes_to_underscores() {
        Config c = Config.load(null, Map.of("FLOWLEDGER_ROKET_API_URL", "http://roket", "FLOWLEDGER_ROKET_ID_COLUMN", "RID",
                "FLOWLEDGER_CUBIC_INGESTION_ENABLED", "false"), new Properties(), Map.of());
        assertThat(c.get("flowledger.roket.api.url")).isEqualTo("http://roket");
        assertThat(c.get("flowledger.roket.id-column")).isEqualTo("RID");
        assertThat(Config.envName("flowledger.cubic-ingestion.enabled")).isEqualTo("FLOWLEDGER_CUBIC_INGESTION_ENABLED");
    }

    @Test
    void a_missing_config_file_is_a_configuration_error_naming_the_file() {
        assertThatThrownBy(() -> Config.load(dir.resolve("nope.properties"), Map.of(), new Properties(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nope.properties").hasMessageContaining("does not exist");
    }

    @Test
    void invalid_values_name_the_key_the_problem_and_where_the_value_came_from() {
        Config c = Config.load(null, Map.of("FLOWLEDGER_HTTP_PORT", "eighty"), new Properties(), Map.of());
        assertThatThrownBy(() -> StartupChecks.validate(c))
                .isInstanceOf(ConfigException.class)
                .hasMessage("flowledger.http.port: value 'eighty' must be a whole number between 1 and 65535"
                        + " (from environment FLOWLEDGER_HTTP_PORT)");
    }

    @Test
    void errors_about_secret_keys_never_show_the_value() {
        Config c = Config.load(null, Map.of(), new Properties(), Map.of("flowledger.roket.api.token", "tok-12345-abcdef"));
        ConfigException e = c.invalid("flowledger.roket.api.token", "is not accepted");
        assertThat(e.getMessage()).doesNotContain("tok-12345-abcdef").contains("(secret)");
        assertThat(c.secretValues()).contains("tok-12345-abcdef");
    }

    @Test
    void booleans_durations_and_choices_are_checked() {
        Config c = Config.load(null, Map.of(), new Properties(), Map.of("flowledger.routes.reload", "yes",
                "flowledger.cubic.poll-interval", "every minute", "flowledger.log.format", "xml"));
        assertThatThrownBy(() -> c.getBoolean("flowledger.routes.reload")).hasMessageContaining("must be true or false");
        assertThatThrownBy(() -> c.getDuration("flowledger.cubic.poll-interval")).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> c.getOneOf("flowledger.log.format", java.util.List.of("text", "json")))
                .hasMessageContaining("must be one of text, json");
        Config ok = c.with(Map.of("flowledger.cubic.poll-interval", "PT30S"));
        assertThat(ok.getDuration("flowledger.cubic.poll-interval")).hasSeconds(30);
        assertThat(ok.with(Map.of("flowledger.cubic.poll-interval", "1500")).getDuration("flowledger.cubic.poll-interval"))
                .hasMillis(1500);
    }
}
