package routes.roket;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;

/**
 * The entry and exit steps of {@code kamelet:roket-sink}. An exchange of an upload carries its run (the date's
 * claimed run, dataset {@code roket-upload/<date>}); any other exchange belongs to the current run of its dataset:
 * the first record after a quiet spell claims the dataset in the ledger and starts a run (its own correlationId);
 * the run ends when no record came for {@code flowledger.roket.sink.idle-timeout} and every record is answered for
 * (its uncertain batches sent again first, with {@code on-uncertain=resend}).
 */
public class RoketSink implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(RoketSink.class);
    static final String FROM_SINK = "roketSinkRun";
    /** The aggregator's correlation key: a plain property, so no OGNL call per chunk. */
    static final String RUN_ID = "roketRunId";

    private final RoketSettings settings;
    private final RoketUploads uploads;
    private final RoketRunSteps steps;
    private final RoketReport report;
    private final Map<String, RoketRun> runs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService closer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "roket-sink-runs");
        t.setDaemon(true);
        return t;
    });
    private CamelContext camelContext;

    public RoketSink(RoketSettings settings, RoketUploads uploads, RoketRunSteps steps, RoketReport report) {
        this.settings = settings;
        this.uploads = uploads;
        this.steps = steps;
        this.report = report;
        long every = Math.max(20, settings.batchTimeout().toMillis() / 2);
        closer.scheduleWithFixedDelay(this::closeQuietRuns, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** The exchange's records as chunks of rows of its run (an upload's last chunk is marked as its end). */
    public void open(Exchange exchange, String dataset, String idField) {
        RoketRun run = exchange.getProperty(RoketGuard.RUN, RoketRun.class);
        if (run != null && exchange.getProperty(FROM_SINK) == null) {
            if (!run.dataset.equals(dataset)) {
                throw new IllegalArgumentException("kamelet:roket-sink dataset '" + dataset + "' does not match the"
                        + " upload's " + run.dataset);
            }
            exchange.setProperty(RUN_ID, run.runId);
            exchange.getMessage().setBody(RoketRecords.chunks(exchange.getMessage().getBody(), idField, run, true,
                    settings.batchSize()));
            return;
        }
        run = runOf(dataset);
        exchange.setProperty(RoketGuard.RUN, run);
        exchange.setProperty(FROM_SINK, true);
        exchange.setProperty("correlationId", run.runId);
        exchange.setProperty(RUN_ID, run.runId);
        exchange.getMessage().setBody(RoketRecords.chunks(exchange.getMessage().getBody(), idField, run, false,
                settings.batchSize()));
    }

    /** The exchange's records are all in batches (or skipped): the run may end once it has been quiet. */
    public void close(Exchange exchange) {
        if (exchange.removeProperty(FROM_SINK) != null) {
            RoketRun run = (RoketRun) exchange.removeProperty(RoketGuard.RUN);
            exchange.removeProperty(RUN_ID);
            run.lastRecordNanos = System.nanoTime();
            run.active.decrementAndGet();
            if (run.failure != null) {
                throw new IllegalStateException("roket-sink " + run.dataset + ": " + run.failure);
            }
        }
    }

    private synchronized RoketRun runOf(String dataset) {
        RoketRun run = runs.get(dataset);
        if (run == null) {
            if (RoketLedger.isDate(dataset) || dataset.startsWith(RoketLedger.PROCESSOR_PREFIX) || dataset.isBlank()) {
                throw new IllegalArgumentException("kamelet:roket-sink dataset '" + dataset + "' is reserved: a date"
                        + " or roket-upload/<date> is the upload command's; name the dataset after its source");
            }
            run = new RoketRun(UUID.randomUUID().toString(), dataset, dataset, "kamelet", false);
            uploads.claim(run);
            try {
                steps.fromLedger(run);
            } catch (RuntimeException e) {
                steps.fail(run, e);
                steps.finish(run, false);
                throw e;
            }
            report.run(run, StatusEvent.State.IN_PROGRESS, "roket-sink run of " + dataset + " started");
            LOG.info("roket-sink {}: run {} started", dataset, run.runId);
            runs.put(dataset, run);
        }
        run.active.incrementAndGet();
        run.lastRecordNanos = System.nanoTime();
        return run;
    }

    private void closeQuietRuns() {
        for (RoketRun run : runs.values()) {
            try {
                if (!quiet(run)) {
                    continue;
                }
                steps.endOfStream(run, camelContext);
                synchronized (this) {
                    if (quiet(run)) {
                        runs.remove(run.dataset);
                        RoketRun.Summary s = steps.finish(run, false);
                        LOG.info("{}", s.format());
                    }
                }
            } catch (Exception e) {
                LOG.warn("roket-sink {}: run {} not closed yet: {}", run.dataset, run.runId, e.getMessage());
            }
        }
    }

    private boolean quiet(RoketRun run) {
        return run.active.get() == 0 && run.open.get() == 0
                && System.nanoTime() - run.lastRecordNanos >= settings.sinkIdleTimeout().toNanos();
    }

    public void shutdown() {
        closer.shutdownNow();
    }
}
