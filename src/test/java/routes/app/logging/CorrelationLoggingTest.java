package routes.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;

/** Every line logged while a dataflow's exchange is routed carries its correlationId, also on other threads. */
class CorrelationLoggingTest {

    @TempDir
    Path routes;

    @Test
    void log_lines_of_a_run_carry_its_correlation_id() throws Exception {
        Files.writeString(routes.resolve("run.yaml"), """
                - route:
                    id: correlated-run
                    from:
                      uri: "direct:run"
                      steps:
                        - setProperty: {name: correlationId, simple: "${body}"}
                        - log: {logName: flowledger.test.run, message: "first step"}
                        - to: "seda:second"
                - route:
                    id: correlated-second
                    from:
                      uri: "seda:second"
                      steps:
                        - log: {logName: flowledger.test.run, message: "second step on another thread"}
                """);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        Logger logger = (Logger) LoggerFactory.getLogger("flowledger.test.run");
        logger.addAppender(captured);
        try (FlowledgerApp app = TestApp.start(Map.of("flowledger.routes.dir", routes.toString()))) {
            app.camelContext().createProducerTemplate().sendBody("direct:run", "run-0042");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> captured.list.size() >= 2);
        } finally {
            logger.detachAppender(captured);
        }
        List<String> ids = captured.list.stream().map(e -> e.getMDCPropertyMap().get("correlationId")).toList();
        assertThat(ids).containsExactly("run-0042", "run-0042");
        assertThat(captured.list.get(1).getThreadName()).isNotEqualTo(captured.list.get(0).getThreadName());
    }
}
