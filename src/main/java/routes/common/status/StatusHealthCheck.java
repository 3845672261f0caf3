package routes.common.status;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The status pipeline's readiness (not liveness: a restart would not bring a broker back): DOWN while status
 * events are failing (the last delivery failed), while kept events wait in the dead-letter for replay, and, with the
 * kafka transport, while its broker is unreachable.
 */
public class StatusHealthCheck extends AbstractHealthCheck {

    private final StatusEmitter emitter;

    public StatusHealthCheck(StatusEmitter emitter) {
        super("flowledger", "status");
        this.emitter = emitter;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String transport = emitter.transport();
        builder.detail("transport", transport);
        builder.detail("undelivered", emitter.fallbackCount());
        if ("kafka".equals(transport)) {
            builder.detail("kafka.brokers", emitter.kafkaBrokers());
            if (Boolean.FALSE.equals(emitter.kafkaReachable())) {
                builder.message("Kafka at " + emitter.kafkaBrokers() + " is unreachable: status events are kept for "
                        + "replay").down();
                return;
            }
        }
        long pending;
        try {
            pending = emitter.pending();
        } catch (Exception e) {
            builder.message("status dead-letter unreadable: " + e.getMessage()).down();
            return;
        }
        builder.detail("pending", pending);
        String failing = emitter.failing();
        if (failing != null) {
            builder.message("status events are failing (" + failing + "): " + pending + " kept for replay").down();
        } else if (pending > 0) {
            builder.message(pending + " status event(s) kept for replay").down();
        } else {
            builder.up();
        }
    }
}
