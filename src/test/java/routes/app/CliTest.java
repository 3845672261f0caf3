package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The command line as a user meets it: help, version, and one clear line with exit 2 for bad input. */
class CliTest {

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
        System.clearProperty("flowledger.http.port");
        System.clearProperty("flowledger.db.url");
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void help_lists_the_commands_and_exits_0() {
        assertThat(FlowledgerCli.execute("--help")).isEqualTo(0);
        assertThat(out()).contains("Usage: flowledger").contains("demo").contains("--config").contains("Exit codes");
    }

    @Test
    void version_names_flowledger_and_camel() {
        assertThat(FlowledgerCli.execute("--version")).isEqualTo(0);
        assertThat(out()).contains("flowledger").contains("Apache Camel 4.17.0");
    }

    @Test
    void an_unknown_option_is_bad_usage_exit_2() {
        assertThat(FlowledgerCli.execute("--no-such-option")).isEqualTo(2);
        assertThat(err()).contains("Unknown option");
    }

    @Test
    void a_bad_key_value_stops_with_one_line_naming_the_key_and_exit_2() {
        System.setProperty("flowledger.http.port", "99999");
        assertThat(FlowledgerCli.execute()).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("flowledger: configuration error: flowledger.http.port: value '99999'"
                + " must be between 1 and 65535 (from -Dflowledger.http.port)");
        assertThat(err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void a_missing_config_file_is_exit_2() {
        assertThat(FlowledgerCli.execute("--config", "/nonexistent/flowledger.properties")).isEqualTo(2);
        assertThat(err().strip()).startsWith("flowledger: configuration error: --config: file /nonexistent");
    }

    @Test
    void an_unsupported_database_url_is_exit_2() {
        System.setProperty("flowledger.db.url", "jdbc:mysql://db/flowledger");
        assertThat(FlowledgerCli.execute()).isEqualTo(2);
        assertThat(err()).contains("flowledger.db.url").contains("H2").contains("PostgreSQL");
    }
}
