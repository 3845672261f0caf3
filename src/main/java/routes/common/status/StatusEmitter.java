package routes.common.status;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way Java code emits status: hands the event to the {@code status-emit} route (the same route
 * YAML steps reach with {@code wireTap: direct:status-emit}), which delivers it with the configured
 * transport ({@code flowledger.status.transport}). Bound in the registry as {@code statusEmitter}.
 * <p>
 * Emitting never fails and never waits for the transport: the route only queues the event; delivery happens
 * on the route's own thread. An event that cannot be queued or delivered (store failing after retries, Kafka
 * unreachable, a job exiting) is kept in the durable dead-letter ({@link StatusDeadLetters}), counted in
 * {@code flowledger_status_undelivered_total}, and replayed into the store once it works again; while events are
 * failing the {@code status} health check is DOWN. Only when even the dead-letter cannot take it is an event
 * written to the {@code flowledger.status} log (WARN, the whole event), the ADR's "emit as logs" last resort.
 */
public class StatusEmitter implements CamelContextAware {

    public static final String ENDPOINT = "direct:status-emit";
    static final Logger STATUS_LOG = LoggerFactory.getLogger("flowledger.status");
    private static final Logger LOG = LoggerFactory.getLogger(StatusEmitter.class);
    /** Store attempts (direct transport) before a batch goes to the dead-letter, and the pause after each failure. */
    private static final long[] STORE_BACKOFF_MS = {200, 1000};
    private static final int REPLAY_CHUNK = 2000;
    private static final long KAFKA_PAUSE_NANOS = 10_000_000_000L;

    private CamelContext camelContext;
    private volatile ProducerTemplate template;
    private volatile StatusStore store;
    private volatile StatusDeadLetters deadLetters;
    private volatile StatusKafkaWatch kafkaWatch;
    private volatile MeterRegistry meters;
    private final AtomicLong undelivered = new AtomicLong();
    private volatile long kafkaFailedAt;
    /** The last delivery attempt failed (cleared by the next one that works). */
    private volatile String failing;

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
            keep(List.of(event), "emit failed: " + e.getMessage());
        }
    }

    /**
     * The {@code direct} transport: stores a batch of events in the status store (metadata DB), retrying a failing
     * store twice; then throws, and the route hands the batch to {@link #undelivered}.
     */
    public StatusStore.Result store(List<StatusEvent> events) throws SQLException, InterruptedException {
        List<StatusEvent> ok = new ArrayList<>(events.size());
        for (StatusEvent e : events) {
            try {
                ok.add(StatusCodec.check(e));
            } catch (StatusCodec.Malformed m) {
                fallback(e, "malformed: " + m.getMessage());
            }
        }
        for (int attempt = 0; ; attempt++) {
            try {
                StatusStore.Result r = store().persist(ok);
                delivered();
                return r;
            } catch (SQLException | RuntimeException e) {
                if (attempt >= STORE_BACKOFF_MS.length) {
                    throw e;
                }
                Thread.sleep(STORE_BACKOFF_MS[attempt]);
            }
        }
    }

    /** The {@code log} transport: one structured log line an event. */
    public void log(StatusEvent event) {
        STATUS_LOG.info("{}", new String(StatusCodec.toJson(event), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** For the status routes' error handlers: the exchange's event(s) (property statusEvent, else body) are kept. */
    public void undelivered(Exchange exchange) {
        Object event = exchange.getProperty("statusEvent");
        if (event == null) {
            event = exchange.getMessage().getBody();
        }
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = e != null ? e.getClass().getSimpleName() + ": " + e.getMessage()
                : kafkaSuspended() ? "Kafka unavailable" : "not delivered";
        List<StatusEvent> events = new ArrayList<>();
        List<Object> other = new ArrayList<>();
        for (Object o : event instanceof List<?> list ? list : List.of(event)) {
            if (o instanceof StatusEvent se) {
                events.add(se);
            } else {
                other.add(o);
            }
        }
        other.forEach(o -> fallback(o, reason));
        keep(events, reason);
    }

    /** Keeps events in the dead-letter (counted, health DOWN); the log is the last resort. */
    void keep(List<StatusEvent> events, String reason) {
        if (events.isEmpty()) {
            return;
        }
        count(events.size());
        String before = failing;
        failing = reason;
        try {
            deadLetters().keep(events, transport(), reason);
            if (before == null) {
                LOG.warn("Status events undelivered ({}): kept in status_dead_letter, replayed once delivery works "
                        + "again; see the status health check", reason);
            }
        } catch (SQLException | RuntimeException e) {
            for (StatusEvent ev : events) {
                STATUS_LOG.warn("undelivered status event ({}; dead-letter failed too: {}): {}", reason, e.getMessage(),
                        new String(StatusCodec.toJson(ev), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    /** Writes an event that can never be stored (malformed) to the status log with the reason (WARN). */
    public void fallback(Object event, String reason) {
        count(1);
        String json = event instanceof StatusEvent e
                ? new String(StatusCodec.toJson(e), java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(event);
        STATUS_LOG.warn("undelivered status event ({}): {}", reason, json);
    }

    /** A delivery worked: the transport is healthy again (kept events are replayed by {@link #replay}). */
    public void delivered() {
        if (failing != null) {
            failing = null;
            LOG.info("Status delivery works again");
        }
    }

    /**
     * Replays kept events into the status store (route {@code status-dead-letter-replay}, every
     * {@code flowledger.status.check-interval}); returns how many.
     */
    public int replay() {
        int total = 0;
        try {
            while (true) {
                int n = deadLetters().replay(store(), REPLAY_CHUNK);
                total += n;
                if (n < REPLAY_CHUNK) {
                    break;
                }
            }
        } catch (SQLException | RuntimeException e) {
            if (failing == null) {
                failing = "replay failed: " + e.getMessage();
            }
            LOG.debug("Replay of kept status events failed: {}", e.getMessage());
        }
        if (total > 0) {
            LOG.info("Replayed {} kept status event(s) into the status store", total);
            if (!"kafka".equals(transport())) {
                delivered(); // the store works again: so does the direct transport
            }
        }
        return total;
    }

    /**
     * After Kafka failed to take an event (or the watch found it unreachable), the kafka transport stops trying for
     * a while: queued events are kept at once instead of each waiting for Kafka's timeout.
     */
    public boolean kafkaSuspended() {
        StatusKafkaWatch w = kafkaWatch;
        if (w != null && Boolean.FALSE.equals(w.reachable())) {
            return true;
        }
        return System.nanoTime() - kafkaFailedAt < KAFKA_PAUSE_NANOS && kafkaFailedAt != 0;
    }

    public void kafkaFailed() {
        long now = System.nanoTime();
        kafkaFailedAt = now == 0 ? 1 : now;
    }

    /** Route {@code status-kafka-watch}: is the status topic's broker reachable? Logs only when that changes. */
    public void checkKafka() {
        StatusKafkaWatch w = kafkaWatch();
        boolean wasDown = Boolean.FALSE.equals(w.reachable());
        if (w.check()) {
            kafkaFailedAt = 0;
            if (wasDown) {
                delivered(); // the broker is back: so is the kafka transport
            }
        }
    }

    /** Null while unknown (not kafka transport, or not checked yet). */
    public Boolean kafkaReachable() {
        StatusKafkaWatch w = kafkaWatch;
        return w == null ? null : w.reachable();
    }

    public String kafkaBrokers() {
        return camelContext.resolvePropertyPlaceholders("{{flowledger.kafka.brokers}}");
    }

    /** Why the last delivery failed, or null when it worked. */
    public String failing() {
        return failing;
    }

    /** Events kept in the dead-letter waiting for replay. */
    public long pending() throws SQLException {
        return deadLetters().pending();
    }

    /** Events that did not reach their transport at once (kept or logged), since start. */
    public long fallbackCount() {
        return undelivered.get();
    }

    public String transport() {
        return camelContext.resolvePropertyPlaceholders("{{flowledger.status.transport}}");
    }

    private void count(int n) {
        undelivered.addAndGet(n);
        MeterRegistry m = meters();
        if (m != null) {
            Counter.builder("flowledger_status_undelivered")
                    .description("Status events not delivered at once (kept in the dead-letter for replay, or logged)")
                    .tag("transport", transport()).register(m).increment(n);
        }
    }

    private MeterRegistry meters() {
        MeterRegistry m = meters;
        if (m == null && camelContext != null) {
            m = camelContext.getRegistry().findSingleByType(MeterRegistry.class);
            meters = m;
        }
        return m;
    }

    private DataSource dataSource() {
        DataSource ds = camelContext.getRegistry().lookupByNameAndType("dataSource", DataSource.class);
        if (ds == null) {
            throw new IllegalStateException("no dataSource in the registry for the status store");
        }
        return ds;
    }

    private StatusDeadLetters deadLetters() {
        StatusDeadLetters d = deadLetters;
        if (d == null) {
            synchronized (this) {
                if (deadLetters == null) {
                    deadLetters = new StatusDeadLetters(dataSource());
                }
                d = deadLetters;
            }
        }
        return d;
    }

    private StatusKafkaWatch kafkaWatch() {
        StatusKafkaWatch w = kafkaWatch;
        if (w == null) {
            synchronized (this) {
                if (kafkaWatch == null) {
                    routes.common.KafkaClients clients = camelContext.getRegistry()
                            .lookupByNameAndType("kafkaClients", routes.common.KafkaClients.class);
                    kafkaWatch = new StatusKafkaWatch(kafkaBrokers(),
                            clients == null ? new java.util.Properties() : clients.properties());
                    try {
                        camelContext.addService(kafkaWatch, true, true); // closed when Camel stops
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                w = kafkaWatch;
            }
        }
        return w;
    }

    private StatusStore store() {
        StatusStore s = store;
        if (s == null) {
            synchronized (this) {
                if (store == null) {
                    store = new StatusStore(dataSource());
                    LOG.debug("status store ready");
                }
                s = store;
            }
        }
        return s;
    }
}
