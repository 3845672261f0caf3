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
        }
    }
}
