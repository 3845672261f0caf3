package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.sandbox.KafkaSandbox;
import routes.sandbox.Ports;
import routes.testkit.TestApp;

/**
 * Quiet when healthy, loud when not: with the status pipeline on and no broker, one log line says Kafka is lost
 * (not two warnings a second), the status health check is DOWN, events are kept and stored; when a broker appears,
 * one line says it is back and health is UP.
 */
class StatusKafkaOutageTest {

    @Test
    void no_broker_gives_one_line_when_lost_one_when_back_and_health_down_in_between() throws Exception {
        int port = Ports.free();
        String topic = "status-" + UUID.randomUUID();
        Map<String, String> settings = Map.of("flowledger.status.enabled", "true",
                "flowledger.status.transport", "kafka",
                "flowledger.kafka.brokers", "127.0.0.1:" + port,
                "flowledger.status.topic", topic,
                "flowledger.status.dead-letter-topic", topic + ".dlt",
                "flowledger.status.consumer-group", "g-" + topic,
                "flowledger.status.check-interval", "500");
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(log);
        try (FlowledgerApp app = TestApp.start(settings)) {
            app.statusEmitter().emit(StatusEvent.status("outage-flow", "UPLOAD", State.IN_PROGRESS, null));
            app.statusEmitter().emit(StatusEvent.status("outage-flow", "UPLOAD", State.SUCCESS, null));
            Thread.sleep(6000);
            List<String> warnings = lines(log, Level.WARN);
            assertThat(warnings).as("warnings over 6 s without a broker").filteredOn(l -> l.contains("Kafka"))
                    .singleElement().asString().contains("Kafka at 127.0.0.1:" + port + " is unreachable");
            assertThat(log.list).as("the Kafka client's own connection warnings are muted")
                    .noneMatch(e -> e.getLoggerName().startsWith("org.apache.kafka") && e.getLevel().isGreaterOrEqual(Level.WARN));
            assertThat(StatusDeadLetterTest.statusHealth(app)).isEqualTo("DOWN");
            // the events were kept and, the store being fine, stored: nothing lost while Kafka is away
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    StatusApiTest.get(app, "/api/dataflows/outage-flow", 200).path("state").asText()).isEqualTo("SUCCEEDED"));

            try (KafkaSandbox broker = KafkaSandbox.start(port)) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(StatusDeadLetterTest.statusHealth(app)).isEqualTo("UP"));
                assertThat(lines(log, Level.INFO)).filteredOn(l -> l.contains("is reachable again")).hasSize(1);
                assertThat(lines(log, Level.WARN)).filteredOn(l -> l.contains("is unreachable")).hasSize(1);
            }
        } finally {
            root.detachAppender(log);
        }
    }

    static List<String> lines(ListAppender<ILoggingEvent> log, Level level) {
        return log.list.stream().filter(e -> e.getLevel().equals(level)).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
