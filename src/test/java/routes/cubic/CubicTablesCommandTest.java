package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.app.FlowledgerCli;

/** {@code cubic-tables}: registers tables in the ledger from the command line and lists them. */
class CubicTablesCommandTest {

    @TempDir
    Path dir;

    @Test
    void tables_registered_on_the_command_line_are_listed_and_a_conflicting_prefix_is_refused() throws Exception {
        Path config = dir.resolve("flowledger.properties");
        Files.writeString(config, "flowledger.db.url=jdbc:h2:file:" + dir.resolve("ledger") + ";MODE=PostgreSQL;"
                + "DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH\n");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        int conflict;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = FlowledgerCli.execute("--config", config.toString(), "cubic-tables",
                    "--add", "cubic/ods_qlik/EDW.SAMPLE/", "--add", "cubic__dmap__agg_sample=cubic/dmap/agg_sample/");
            conflict = FlowledgerCli.execute("--config", config.toString(), "cubic-tables",
                    "--add", "other_name=cubic/dmap/agg_sample/");
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("cubic__ods_qlik__edw_sample=cubic/ods_qlik/EDW.SAMPLE/")
                .contains("cubic__dmap__agg_sample=cubic/dmap/agg_sample/");
        assertThat(conflict).isEqualTo(FlowledgerCli.USAGE);
    }
}
