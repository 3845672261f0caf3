package routes.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up refuses what it cannot honour, in one line and exit 2, before anything is created: unknown keys from any
 * source, H2 URLs flowledger cannot use, a properties file given where the replay JSON belongs.
 */
class SafeStartTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
        System.clearProperty("flowledger.db.url");
        System.clearProperty("flowledger.roket.batchsize");
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    @Test
    void an_unknown_key_in_the_config_file_is_refused_naming_it_and_the_nearest_known_key() throws Exception {
        Path f = file("app.properties", "flowledger.roket.batchsize=50\n");
        assertThatThrownBy(() -> Config.load(f, Map.of(), new Properties(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("flowledger.roket.batchsize: unknown key (did you mean flowledger.roket.batch-size?)"
                        + " (from file " + f + ")");
        Path typo = file("typo.properties", "flowledger.rokett.api.url=http://roket\n");
        assertThatThrownBy(() -> Config.load(typo, Map.of(), new Properties(), Map.of()))
                .hasMessageStartingWith("flowledger.rokett.api.url: unknown key (did you mean flowledger.roket.api.url?)");
    }

    @Test
    void an_unknown_key_from_the_environment_or_a_system_property_is_refused_too() {
        assertThatThrownBy(() -> Config.load(null, Map.of("FLOWLEDGER_ROKET_BATCHSIZE", "50"), new Properties(), Map.of()))
                .hasMessageStartingWith("flowledger.roket.batchsize: unknown key (did you mean"
                        + " FLOWLEDGER_ROKET_BATCH_SIZE, i.e. flowledger.roket.batch-size?)")
                .hasMessageContaining("environment FLOWLEDGER_ROKET_BATCHSIZE");
        Properties sys = new Properties();
        sys.setProperty("flowledger.roket.batchsize", "50");
        assertThatThrownBy(() -> Config.load(null, Map.of(), sys, Map.of()))
                .hasMessageContaining("(from -Dflowledger.roket.batchsize)");
        // Keys of other systems are not ours to judge; known keys still work from every source.
        sys.clear();
        sys.setProperty("camel.main.name", "x");
        sys.setProperty("flowledger.roket.batch-size", "50");
        assertThat(Config.load(null, Map.of("FLOWLEDGER_ROKET_CONCURRENCY", "2"), sys, Map.of())
                .get("flowledger.roket.batch-size")).isEqualTo("50");
    }

    @Test
    void the_command_line_stops_with_exit_2_and_one_line_on_an_unknown_key() {
        System.setProperty("flowledger.roket.batchsize", "50");
        assertThat(FlowledgerCli.execute("status", "x")).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("flowledger: configuration error: flowledger.roket.batchsize: unknown key"
                + " (did you mean flowledger.roket.batch-size?) (from -Dflowledger.roket.batchsize)");
    }

    @Test
    void an_h2_url_flowledger_cannot_use_is_refused_before_anything_is_created_on_disk() {
        Path created = Path.of("fil:");
        System.setProperty("flowledger.db.url", "jdbc:h2:fil:nope/ledger");
        assertThat(FlowledgerCli.execute("status", "x")).isEqualTo(2);
        assertThat(err().strip()).startsWith("flowledger: configuration error: flowledger.db.url: 'jdbc:h2:fil:nope/ledger'"
                + " names no H2 database flowledger can use").doesNotContain("\n");
        assertThat(created).as("H2 would have made a folder 'fil:'").doesNotExist();

        err.reset();
        System.setProperty("flowledger.db.url", "jdbc:h2:file:" + dir.resolve("l") + ";MODE=MySQL");
        assertThat(FlowledgerCli.execute("status", "x")).isEqualTo(2);
        assertThat(err().strip()).startsWith("flowledger: configuration error: flowledger.db.url: sets MODE=MySQL")
                .doesNotContain("\n");
        assertThat(dir.resolve("l.mv.db")).doesNotExist();

        err.reset();
        System.setProperty("flowledger.db.url", "jdbc:sqlite:" + dir.resolve("l"));
        assertThat(FlowledgerCli.execute("status", "x")).isEqualTo(2);
        assertThat(err().strip()).contains("flowledger.db.url").doesNotContain("\n");
    }

    @Test
    void replay_config_given_a_properties_file_says_it_belongs_before_the_command() throws Exception {
        Path props = file("app.properties", "flowledger.replay.bucket=b\n");
        assertThat(FlowledgerCli.execute("replay", "--start-date", "2026-11-01", "--end-date", "2026-11-01",
                "--topic", "t", "--prefix", "ingest", "--config", props.toString())).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("replay: --config " + props + " is not a JSON object; this --config takes"
                + " the replay JSON of dependent sink sources, a properties file goes before the command:"
                + " flowledger --config " + props + " replay ...");
    }
}
