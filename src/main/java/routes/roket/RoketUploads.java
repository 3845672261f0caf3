package routes.roket;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;
import routes.common.http.QueryParams;

/**
 * How a roket-upload run starts (command, schedule, API): the date is claimed in the ledger (one run per date, kept
 * alive by a heartbeat), then the run goes through {@code direct:roket-upload}. The steps of a run are the route's;
 * the rules are {@link RoketRunSteps}, {@link RoketGuard}, {@link RoketDelivery} and {@link RoketClassifier}.
 */
public class RoketUploads implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(RoketUploads.class);
    public static final String STAGE = RoketReport.STAGE;

    private final RoketSettings settings;
    private final RoketLedger ledger;
    private final RoketQueries queries;
    private final RoketRunSteps steps;
    private final String owner;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "roket-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService runs = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "roket-run");
        t.setDaemon(true);
        return t;
    });
    private CamelContext camelContext;
    private volatile ProducerTemplate producer;

    public RoketUploads(RoketSettings settings, RoketLedger ledger, RoketQueries queries, RoketRunSteps steps) {
        this.settings = settings;
        this.ledger = ledger;
        this.queries = queries;
        this.steps = steps;
        this.owner = ClaimOwner.current();
    }

    /** The bean of a started application. */
    public static RoketUploads of(CamelContext context) {
        RoketUploads u = context.getRegistry().lookupByNameAndType("roketUploads", RoketUploads.class);
        if (u == null) {
            throw new IllegalStateException("roket-upload is not enabled (flowledger.roket-upload.enabled=false)");
        }
        return u;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** What the ledger holds (runs, batches, rejected and uncertain records). */
    public RoketQueries ledger() {
        return queries;
    }

    public RoketSettings settings() {
        return settings;
    }

    // ------------------------------------------------------------------ triggers

    /** Claims the date and runs the upload in the background; refused with DateBusyException when it runs already. */
    public RoketRun start(String date, String trigger, boolean releaseHeld) {
        RoketRun run = claim(date, trigger, releaseHeld);
        runs.submit(() -> execute(run));
        return run;
    }

    /** Claims the date, runs the upload and returns its summary. */
    public RoketRun.Summary upload(String date, String trigger, boolean releaseHeld) {
        RoketRun run = claim(date, trigger, releaseHeld);
        execute(run);
        return run.done.join();
    }

    /**
     * The cron trigger: yesterday's date, once. Every instance fires the schedule; a date already running is left
     * to that run, and a date a run already uploaded (SUCCEEDED, from any instance) is not run again, so N replicas
     * upload each date once. A date whose run failed or was killed is run again by the next fire (if the cron fires
     * more than once a day), which sends only what is not delivered.
     */
    public void scheduled(Exchange exchange) {
        String date = yesterday().toString();
        try {
            if (skipUploaded(date)) {
                return; // the usual case on N instances, answered without touching the date's claim
            }
            RoketRun run = new RoketRun(UUID.randomUUID().toString(), date, "schedule", false);
            // Asked again while holding the date's claim: a run that succeeded wrote that down before releasing it.
            ledger.claim(run.date, run.runId, owner, settings.lockTimeout());
            if (skipUploaded(date)) {
                ledger.release(run.date, run.runId);
                return;
            }
            claimed(run);
            execute(run);
            LOG.info("{}", run.done.join().format());
        } catch (RoketLedger.DateBusyException e) {
            LOG.info("Scheduled roket-upload of {} not started: {}", date, e.getMessage());
        }
    }

    /**
     * Finishes what a killed instance left: a run the service started (schedule, API) whose holder died (see {@link RoketLedger#abandonedRuns})
     * is marked FAILED by the one instance whose guarded update wins, which then runs the date again (trigger
     * {@code takeover}): the batches the dead run had in flight are uncertain and resent, nothing delivered is sent.
     * Not an {@code upload} command's run: whoever ran the command sees it fail and runs it again.
     */
    public void recoverAbandoned(Exchange exchange) {
        for (RoketLedger.Abandoned a : ledger.abandonedRuns(settings.lockTimeout())) {
            if (!ledger.abandon(a.runId(), "abandoned: " + a.why())) {
                continue; // another instance ended it first, and takes the date over
            }
            RoketRun dead = new RoketRun(a.runId(), a.date(), "schedule", false);
            steps.report().run(dead, routes.common.status.StatusEvent.State.FAILED, "abandoned: " + a.why());
            if (!a.why().startsWith("run ")) { // another run already holds the date: that one finishes it
                try {
                    RoketRun run = start(a.date(), "takeover", false);
                    LOG.warn("roket-upload {}: run {} was abandoned ({}); run {} takes the date over", a.date(),
                            a.runId(), a.why(), run.runId);
                } catch (RoketLedger.DateBusyException e) {
                    LOG.info("roket-upload {}: run {} was abandoned; not taking it over: {}", a.date(), a.runId(), e.getMessage());
                }
            }
        }
    }

    private boolean skipUploaded(String date) {
        java.util.Optional<String> done = ledger.succeededRun(date);
        done.ifPresent(run -> LOG.info("Scheduled roket-upload of {} skipped: already uploaded by {}", date, run));
        return done.isPresent();
    }

    /** POST /api/roket/uploads?date=D[&releaseHeld=true]: 202 with the run id, 400 bad date, 409 running. */
    public Map<String, Object> apiStart(Exchange exchange) {
        Map<String, Object> out = new LinkedHashMap<>();
        String date = exchange.getMessage().getHeader("date", String.class);
        boolean release = QueryParams.bool(exchange, "releaseHeld", false);
        try {
            date = parseDate(date);
        } catch (IllegalArgumentException e) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 400);
            out.put("error", e.getMessage());
            return out;
        }
        try {
            RoketRun run = start(date, "api", release);
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
            out.put("date", date);
            out.put("runId", run.runId);
            out.put("correlationId", run.runId);
            out.put("dataSetId", RoketLedger.PROCESSOR_PREFIX + date);
            out.put("state", "RUNNING");
        } catch (RoketLedger.DateBusyException e) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 409);
            out.put("error", e.getMessage());
        }
        return out;
    }

    /** The date the daily run uploads (the schedule and {@code upload --yesterday} agree): the JVM zone's yesterday. */
    public static LocalDate yesterday() {
        return LocalDate.now().minusDays(1);
    }

    /** A date as yyyy-MM-dd, or an error that says what is expected. */
    public static String parseDate(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a date is required (yyyy-MM-dd)");
        }
        try {
            return LocalDate.parse(value.trim()).toString();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + value + "' is not a date (yyyy-MM-dd)");
        }
    }

    private RoketRun claim(String date, String trigger, boolean releaseHeld) {
        return claim(new RoketRun(UUID.randomUUID().toString(), parseDate(date), trigger, releaseHeld));
    }

    /** Claims the run's ledger key (a date, or a Kamelet's dataset) and keeps the claim alive while it runs. */
    RoketRun claim(RoketRun run) {
        steps.describe(run); // every run (upload or Kamelet) passes here before its first status event
        ledger.claim(run.date, run.runId, owner, settings.lockTimeout());
        return claimed(run);
    }

    /** Writes down the run whose date is claimed and keeps the claim alive while it runs. */
    private RoketRun claimed(RoketRun run) {
        try {
            ledger.runStarted(run.runId, run.date, run.trigger);
        } catch (RuntimeException e) {
            ledger.release(run.date, run.runId);
            throw e;
        }
        long every = Math.max(100, settings.lockTimeout().toMillis() / 3);
        run.heartbeat = heartbeats.scheduleAtFixedRate(() -> beat(run), every, every, TimeUnit.MILLISECONDS);
        return run;
    }

    private void beat(RoketRun run) {
        try {
            if (!ledger.heartbeat(run.date, run.runId)) {
                run.abort("the claim on " + run.date + " was taken over by another run (this run looked dead)");
            }
        } catch (RuntimeException e) {
            LOG.warn("roket-upload {}: heartbeat failed: {}", run.date, e.getMessage());
        }
    }

    private void execute(RoketRun run) {
        try {
            producer().requestBody("direct:roket-upload", run);
        } catch (RuntimeException e) {
            steps.fail(run, e);
            steps.finish(run, true);
        }
    }

    private ProducerTemplate producer() {
        ProducerTemplate p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = camelContext.createProducerTemplate();
                }
                p = producer;
            }
        }
        return p;
    }

    /** The run as the route's body: the upload's steps around the {@code kamelet:roket-sink} it feeds. */
    public RoketRunSteps steps() {
        return steps;
    }

    public void shutdown() {
        heartbeats.shutdownNow();
        runs.shutdownNow();
    }
}
