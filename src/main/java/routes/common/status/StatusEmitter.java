package routes.common.status;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way Java code emits status: hands the event to the {@code status-emit} route (the same route
 * YAML steps reach with {@code wireTap: direct:status-emit}), which delivers it with the configured
 * transport ({@code flowledger.status.transport}). Bound in the registry as {@code statusEmitter}.
 * <p>
 * Emitting never fails and never waits for the transport: the route only queues the event; delivery happens
 * on the route's own thread. An event that cannot be queued or delivered is written to the
 * {@code flowledger.status} log instead (the ADR's "emit as logs" option), so it is never silently lost.
 */
public class StatusEmitter implements CamelContextAware {

    public static final String ENDPOINT = "direct:status-emit";
    static final Logger STATUS_LOG = LoggerFactory.getLogger("flowledger.status");
    private static final Logger LOG = LoggerFactory.getLogger(StatusEmitter.class);

    private CamelContext camelContext;
    private volatile ProducerTemplate template;
    private volatile StatusStore store;
    private final AtomicLong fallbacks = new AtomicLong();
    private static final long KAFKA_PAUSE_NANOS = 10_000_000_000L;
    private volatile long kafkaFailedAt;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void emit(StatusEvent event) {
        try {
            ProducerTemplate t = template;
            if (t == null) {
                synchronized (this) {
                    if (template == null) {
                        template = camelContext.createProducerTemplate();
                    }
                    t = template;
                }
            }
            t.sendBody(ENDPOINT, event);
        } catch (RuntimeException e) {
            // Status is a side channel: the caller's work goes on whatever happens here.
            fallback(event, e.getMessage());
        }
    }

    /** The {@code direct} transport: stores a batch of events in the status store (metadata DB). */
    public StatusStore.Result store(List<StatusEvent> events) throws SQLException {
        List<StatusEvent> ok = new ArrayList<>(events.size());
        for (StatusEvent e : events) {
            try {
                ok.add(StatusCodec.check(e));
            } catch (StatusCodec.Malformed m) {
                fallback(e, "malformed: " + m.getMessage());
            }
        }
        return store().persist(ok);
    }

    /** The {@code log} transport, and the last resort of the others: one structured log line an event. */
    public void log(StatusEvent event) {
        STATUS_LOG.info("{}", new String(StatusCodec.toJson(event), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes events that could not be delivered to the status log with the reason (WARN). */
    public void fallback(Object events, String reason) {
        if (events instanceof List<?> list) {
            for (Object o : list) {
                fallback(o, reason);
            }
            return;
        }
        fallbacks.incrementAndGet();
        String json = events instanceof StatusEvent e
                ? new String(StatusCodec.toJson(e), java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(events);
        STATUS_LOG.warn("undelivered status event ({}): {}", reason, json);
    }

    /** For the status routes' error handlers: the exchange's event (property statusEvent, else body) to the log. */
    public void undelivered(org.apache.camel.Exchange exchange) {
        Object event = exchange.getProperty("statusEvent");
        if (event == null) {
            event = exchange.getMessage().getBody();
        }
        Exception e = exchange.getProperty(org.apache.camel.Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = e != null ? e.getClass().getSimpleName() + ": " + e.getMessage()
                : kafkaSuspended() ? "Kafka unavailable, retrying in a few seconds" : "not delivered";
        fallback(event, reason);
    }

    /**
     * After Kafka failed to take an event, the kafka transport stops trying for a while: queued events go to the
     * log at once instead of each waiting for Kafka's timeout (which would fill the queue and hold up shutdown).
     */
    public boolean kafkaSuspended() {
        return System.nanoTime() - kafkaFailedAt < KAFKA_PAUSE_NANOS && kafkaFailedAt != 0;
    }

    public void kafkaFailed() {
        long now = System.nanoTime();
        kafkaFailedAt = now == 0 ? 1 : now;
    }

    /** Events written to the log because they could not be queued or delivered (since start). */
    public long fallbackCount() {
        return fallbacks.get();
    }

    private StatusStore store() {
        StatusStore s = store;
        if (s == null) {
            synchronized (this) {
                if (store == null) {
                    DataSource ds = camelContext.getRegistry().lookupByNameAndType("dataSource", DataSource.class);
                    if (ds == null) {
                        throw new IllegalStateException("no dataSource in the registry for the direct status transport");
                    }
                    store = new StatusStore(ds);
                    LOG.debug("status store ready");
                }
                s = store;
            }
        }
        return s;
    }
}
