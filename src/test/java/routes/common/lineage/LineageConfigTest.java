package routes.common.lineage;

import routes.app.StartupChecks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.app.ConfigException;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;
import routes.testkit.TestApp;

/** A bad flowledger.lineage.* value stops the start with one line naming the key (exit 2), before anything runs. */
class LineageConfigTest {

    @TempDir
    Path tmp;

    @Test
    void a_lineage_url_that_is_not_http_is_exit_2_with_one_line() throws Exception {
        Path config = Files.writeString(tmp.resolve("bad.properties"), "flowledger.lineage.url=ftp://marquez:5000\n");
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = FlowledgerCli.execute("--config", config.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).startsWith("flowledger: configuration error: "
                + "flowledger.lineage.url: value 'ftp://marquez:5000' must be an http:// or https:// URL").doesNotContain("\n");
    }

    @Test
    void a_relative_url_a_bad_namespace_and_a_bad_timeout_are_refused_naming_the_key() {
        for (Map.Entry<String, String> bad : Map.of("flowledger.lineage.url", "marquez:5000/x",
                "flowledger.lineage.namespace", "my namespace", "flowledger.lineage.timeout", "0").entrySet()) {
            Map<String, String> settings = new java.util.HashMap<>(Map.of("flowledger.lineage.url", "http://127.0.0.1:1"));
            settings.put(bad.getKey(), bad.getValue());
            assertThatThrownBy(() -> StartupChecks.validate(TestApp.config(settings)))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(bad.getKey() + ": ");
        }
    }

    @Test
    void the_api_key_is_never_shown() {
        LineageSettings s = LineageSettings.from(TestApp.config(Map.of("flowledger.lineage.url", "https://m.example",
                "flowledger.lineage.api-key", "very-secret"))::get);
        assertThat(s.toString()).doesNotContain("very-secret");
        assertThat(s.url()).isEqualTo("https://m.example");
    }
}
