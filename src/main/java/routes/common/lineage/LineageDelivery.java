package routes.common.lineage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What became of each lineage event (bean {@code lineageDelivery} of the lineage routes): counted in
 * {@code flowledger_lineage_events_total{outcome=sent|failed|dropped|suspended}} and logged once per problem, not
 * once per event (a backend down for an hour is one WARN line, and one INFO line when it answers again).
 * <p>
 * After a failed POST the route stops trying for {@link #PAUSE_NANOS}: events in that window are counted as
 * {@code suspended} and dropped at once, so a backend that hangs costs one timeout per pause, not one per event,
 * and a job's exit never waits more than one timeout for it. Lineage is a report: it is never retried later.
 */
public class LineageDelivery implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.lineage");
    static final long PAUSE_NANOS = 30_000_000_000L;

    private CamelContext camelContext;
    private volatile MeterRegistry meters;
    private final ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private volatile String problem;
    private volatile long failedAt;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** The backend took the event. */
    public void sent() {
        count("sent");
        failedAt = 0;
        if (problem != null) {
            problem = null;
            LOG.info("Lineage events are delivered again");
        }
    }

    /** The POST failed (HTTP error, timeout, connection refused): counted, logged when the problem is new. */
    public void failed(Exchange exchange) {
        count("failed");
        long now = System.nanoTime();
        failedAt = now == 0 ? 1 : now;
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String why = e instanceof HttpOperationFailedException h ? "HTTP " + h.getStatusCode()
                : e == null ? "unknown error" : e.getClass().getSimpleName() + ": " + e.getMessage();
        if (!why.equals(problem)) {
            problem = why;
            LOG.warn("Lineage events not delivered ({}); runs go on, events are dropped and counted in "
                    + "flowledger_lineage_events_total until the backend answers again", why);
        }
    }

    /** The queue was full: the event is dropped at once (the emitting run never waits for lineage). */
    public void dropped() {
        count("dropped");
        if (!"queue full".equals(problem)) {
            problem = "queue full";
            LOG.warn("Lineage queue full: events dropped (counted in flowledger_lineage_events_total)");
        }
    }

    /** Within the pause after a failure: the event is dropped without trying. */
    public void suspendedDrop() {
        count("suspended");
    }

    public boolean suspended() {
        long at = failedAt;
        return at != 0 && System.nanoTime() - at < PAUSE_NANOS;
    }

    /** An event could not even be built or queued (a bug): logged once per problem, the run goes on. */
    public void broken(Exchange exchange) {
        count("failed");
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String why = "not built: " + (e == null ? "unknown error" : e.getClass().getSimpleName() + ": " + e.getMessage());
        if (!why.equals(problem)) {
            problem = why;
            LOG.warn("Lineage event {}", why, e);
        }
    }

    /** Events by outcome since start (also in the metric). */
    public long outcomes(String outcome) {
        AtomicLong n = counts.get(outcome);
        return n == null ? 0 : n.get();
    }

    private void count(String outcome) {
        counts.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
        MeterRegistry m = meters();
        if (m != null) {
            Counter.builder("flowledger_lineage_events")
                    .description("OpenLineage run events by outcome: sent, failed, dropped (queue full), suspended")
                    .tag("outcome", outcome).register(m).increment();
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
}
