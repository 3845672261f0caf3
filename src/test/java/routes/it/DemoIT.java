package routes.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.sandbox.Ports;

/** `java -jar flowledger.jar demo` runs from the jar alone, shows every pipeline, and says where to look. */
class DemoIT {

    @TempDir
    Path dir;

    @Test
    void demo_runs_every_pipeline_in_the_sandbox_and_succeeds() throws Exception {
        try (JarProcess jar = JarProcess.start(dir, Map.of(), List.of("-Dflowledger.http.port=" + Ports.free(),
                "-Dflowledger.management.port=" + Ports.free()), "demo", "--exit")) {
            int exit = jar.waitFor(300);
            String out = jar.output();
            assertThat(exit).as(out).isEqualTo(0);
            assertThat(out).contains("Where to look:").contains("/observe/health").contains("/dataflows").contains("/hawtio/").contains("Demo finished: everything did its job.");

            // The command the demo prints works as printed: it finds the demo's dataflow, and creates no ./data.
            java.util.regex.Matcher hint = java.util.regex.Pattern.compile(
                    "Command: +java -D(flowledger\\.db\\.url)='([^']+)' -jar target/flowledger\\.jar status (\\S+)").matcher(out);
            assertThat(hint.find()).as(out).isTrue();
            Path elsewhere = dir.resolve("elsewhere");
            java.nio.file.Files.createDirectories(elsewhere);
            try (JarProcess status = JarProcess.start(elsewhere, Map.of(), List.of("-D" + hint.group(1) + "=" + hint.group(2)),
                    "status", hint.group(3))) {
                int code = status.waitFor(120);
                assertThat(status.output()).contains("dataflow   " + hint.group(3)).contains("state      FAILED");
                assertThat(code).as("the demo's invoices dataflow FAILED on purpose").isEqualTo(1);
            }
            assertThat(elsewhere.resolve("data")).doesNotExist();
            assertThat(dir.resolve("data")).doesNotExist();
        }
    }
}
