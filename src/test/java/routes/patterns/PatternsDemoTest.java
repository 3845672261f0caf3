package routes.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import routes.app.FlowledgerApp;
import routes.sandbox.PatternsDemo;
import routes.testkit.TestApp;

/** The demo scenario does its job against the real service (DemoIT runs it again from the jar). */
class PatternsDemoTest {

    @Test
    void the_demo_syncs_through_templates_only_and_the_breaker_keeps_the_table_on_an_empty_answer() throws Exception {
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.patterns.enabled", "true"))) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            boolean ok = new PatternsDemo().run(null, app, new PrintStream(buf, true, StandardCharsets.UTF_8));
            String out = buf.toString(StandardCharsets.UTF_8);
            assertThat(ok).as(out).isTrue();
            assertThat(out).contains("routeTemplateRef: http-rescan-source").contains("pipe halted");
        }
    }
}
