package routes.roket;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;
import routes.common.http.QueryParams;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;

/**
 * The rules of a roket-upload run, called step by step from {@code roket-upload.yaml}: claim the date, start from
 * the ledger (delivered ids, uncertain batches), stream the source into batches of new records, send each batch
 * and write down what became of it (narrowing rejected batches down), and finish with a summary.
 */
public class RoketUploads implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(RoketUploads.class);
    public static final String STAGE = "ROKET_UPLOAD";
    public static final String RUN_PROPERTY = "roketRun";

    private final RoketSettings settings;
    /** Null = the benchmark's baseline: the same route with no ledger at all. */
    private final RoketLedger ledger;
    private final RoketClient client;
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

    public RoketUploads(RoketSettings settings, RoketLedger ledger, RoketClient client) {
        this.settings = settings;
        this.ledger = ledger;
        this.client = client;
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

    public RoketLedger ledger() {
        return ledger;
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

    /** The cron trigger: yesterday's date. A date already running is left to that run. */
    public void scheduled(Exchange exchange) {
        String date = LocalDate.now().minusDays(1).toString();
        try {
            RoketRun.Summary s = upload(date, "schedule", false);
            LOG.info("{}", s.format());
        } catch (RoketLedger.DateBusyException e) {
            LOG.warn("Scheduled roket-upload not started: {}", e.getMessage());
        }
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
        RoketRun run = new RoketRun(UUID.randomUUID().toString(), parseDate(date), trigger, releaseHeld);
        if (ledger != null) {
            ledger.claim(run.date, run.runId, owner, settings.lockTimeout());
            try {
                ledger.runStarted(run.runId, run.date, trigger);
            } catch (RuntimeException e) {
                ledger.release(run.date, run.runId);
                throw e;
            }
            long every = Math.max(100, settings.lockTimeout().toMillis() / 3);
            run.heartbeat = heartbeats.scheduleAtFixedRate(() -> beat(run), every, every, TimeUnit.MILLISECONDS);
        }
        run.inFlight = new Semaphore(settings.concurrency());
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
            fail(run, e);
            finish(run);
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

    // ------------------------------------------------------------------ route steps

    /** Starts from the ledger: interrupted batches become uncertain, delivered ids are loaded once; then the guard. */
    public void begin(RoketRun run) throws Exception {
        long t0 = System.nanoTime();
        // The source's count (for dataSetDetails and the empty-source guard) runs while the ledger is read.
        java.util.concurrent.CompletableFuture<Long> counting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                long c0 = System.nanoTime();
                long n = RoketSource.count(settings, run.date);
                LOG.info("roket-upload {}: source counted ({} rows) in {} ms", run.date, n,
                        (System.nanoTime() - c0) / 1_000_000);
                return n;
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("the source query failed: " + e.getMessage(), e);
            }
        }, runs);
        if (ledger != null) {
            run.interruptedBatches = ledger.markInterruptedUncertain(run.date);
            run.seen = ledger.deliveredIds(run.date);
            Map<String, List<String>> open = ledger.openUncertain(run.date);
            List<String> toRelease = new ArrayList<>();
            Set<String> held = new java.util.HashSet<>();
            open.forEach((batchId, ids) -> {
                for (String id : ids) {
                    if (run.seen.contains(id)) {
                        continue; // delivered since by another batch
                    }
                    if (run.releaseHeld) {
                        run.released.increment();
                    } else if (settings.holdUncertain()) {
                        held.add(id);
                    } else {
                        run.uncertainToResend.put(id, batchId);
                    }
                }
                if (run.releaseHeld) {
                    toRelease.add(batchId);
                }
            });
            if (!toRelease.isEmpty()) {
                ledger.resolve(toRelease, "RELEASED");
            }
            run.heldIds = held;
            run.openUncertain = open;
            LOG.info("roket-upload {}: {} record(s) delivered before; {} uncertain batch(es) open ({} record(s) {})",
                    run.date, run.seen.size(), open.size(),
                    run.releaseHeld ? run.released.sum() : settings.holdUncertain() ? held.size() : run.uncertainToResend.size(),
                    run.releaseHeld ? "released" : settings.holdUncertain() ? "held" : "to send again");
        }
        long count;
        try {
            count = counting.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
        run.sourceRows = count;
        LOG.info("roket-upload {}: ledger read and source counted in {} ms", run.date, (System.nanoTime() - t0) / 1_000_000);
        emit(StatusEvent.dataSetDetails(run.runId, RoketLedger.PROCESSOR_PREFIX + run.date, "1",
                StatusEvent.DataSetType.TABLE, count));
        emit(StatusEvent.status(run.runId, STAGE, StatusEvent.State.IN_PROGRESS,
                "upload of " + run.date + " started (" + count + " source rows)"));
        if (count == 0 && !settings.allowEmpty()) {
            throw new IllegalStateException("the source query returned no rows for " + run.date
                    + "; a source that answers empty must not look like success (set flowledger.roket.allow-empty=true"
                    + " if this date really has no data)");
        }
    }

    /** The date's new records (not delivered, not held, not repeated), in batches of at most batch-size. */
    public Iterator<RoketBatch> batches(RoketRun run) throws Exception {
        RoketSource source = RoketSource.open(settings, run.date);
        run.source = source;
        return new Iterator<>() {
            private RoketBatch next;
            private boolean ended;

            @Override
            public boolean hasNext() {
                if (next == null && !ended) {
                    next = cut();
                    ended = next == null;
                }
                return next != null;
            }

            @Override
            public RoketBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                RoketBatch b = next;
                next = null;
                return b;
            }

            private RoketBatch cut() {
                List<RoketBatch.Row> rows = new ArrayList<>(settings.batchSize());
                try {
                    while (rows.size() < settings.batchSize() && !run.isStopping()) {
                        String id = source.nextId();
                        if (id == null) {
                            break;
                        }
                        run.rowsRead.increment();
                        if (ledger != null) {
                            if (run.heldIds.contains(id)) {
                                run.held.increment();
                                continue;
                            }
                            if (!run.seen.add(id)) {
                                run.skipped.increment();
                                continue;
                            }
                        }
                        rows.add(new RoketBatch.Row(id, source.json()));
                    }
                } catch (Exception e) {
                    run.abort("reading the source failed: " + e.getMessage());
                    return null;
                }
                if (rows.isEmpty() || run.isStopping()) {
                    // Rows cut but not yet written down were never sent: a later run sends them.
                    return null;
                }
                return RoketBatch.of(rows);
            }
        };
    }

    /** Sends one batch (one split item) and writes down what became of it. */
    public void send(RoketBatch batch, Exchange exchange) {
        RoketRun run = exchange.getProperty(RUN_PROPERTY, RoketRun.class);
        try {
            if (run.isStopping()) {
                // Cut but never written down nor sent: a later run reads these rows again.
                return;
            }
            // Written down before the request leaves (in the sender thread, so it overlaps other requests):
            // a crash from here on leaves the batch SENDING, which the next run treats as uncertain.
            if (ledger != null) {
                ledger.sending(run.runId, run.date, batch);
            }
            run.sent.add(batch.size());
            deliver(run, batch);
            run.batches.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.abort("interrupted while sending");
        } catch (RuntimeException e) {
            // A ledger write that fails leaves the batch SENDING: the next run counts it as uncertain.
            LOG.error("roket-upload {}: batch {} stopped the run: {}", run.date, batch.batchId(), e.getMessage());
            run.abort("batch " + batch.batchId() + ": " + e.getMessage());
        }
    }

    private void deliver(RoketRun run, RoketBatch b) throws InterruptedException {
        RoketClient.Outcome o = client.post(b.body(), run.inFlight, run.retries::increment, run::isStopping);
        switch (o.kind()) {
            case STORED -> {
                if (ledger != null) {
                    ledger.delivered(run.date, b, o.attempts(), o.status(), o.response());
                }
                run.delivered.add(b.size());
                if (!run.uncertainToResend.isEmpty()) {
                    for (String id : b.ids()) {
                        if (run.uncertainToResend.containsKey(id)) {
                            run.possibleDuplicates.increment();
                            run.resentDelivered.add(id);
                        }
                    }
                }
                batchStatus(run, b, StatusEvent.State.SUCCESS, "delivered " + b.size() + " record(s), HTTP "
                        + o.status() + " after " + o.attempts() + " attempt(s)", o.status());
            }
            case REJECTED -> {
                if (o.isContentRejection() && b.size() > 1) {
                    // Roket stored nothing of this request: narrow it down to the records it refuses on their own.
                    List<RoketBatch> halves = b.halves();
                    if (ledger != null) {
                        ledger.split(run.runId, run.date, b, o.attempts(), o.status(), o.response(), halves);
                    }
                    batchStatus(run, b, StatusEvent.State.IN_PROGRESS, "rejected as a whole (HTTP " + o.status()
                            + "); narrowing down into " + halves.get(0).size() + " + " + halves.get(1).size(), o.status());
                    for (RoketBatch h : halves) {
                        deliver(run, h);
                    }
                    return;
                }
                if (ledger != null) {
                    ledger.rejected(run.runId, run.date, b, o.attempts(), o.status(), o.response());
                }
                run.rejected.add(b.size());
                for (String id : b.ids()) {
                    emit(StatusEvent.recordStatus(run.runId, id, run.date, STAGE, StatusEvent.State.FAILED,
                            "Roket refused the record: " + RoketLedger.excerpt(o.response(), 300), o.status()));
                }
                batchStatus(run, b, StatusEvent.State.FAILED, "rejected, HTTP " + o.status(), o.status());
                if (!o.isContentRejection()) {
                    run.abort("Roket refused the credentials (HTTP " + o.status() + "): check flowledger.roket.api.token");
                }
            }
            case UNCERTAIN -> {
                if (ledger != null) {
                    ledger.uncertain(b, o.attempts(), o.response());
                }
                run.uncertain.add(b.size());
                batchStatus(run, b, StatusEvent.State.FAILED, "uncertain: " + o.response()
                        + " (Roket may or may not have stored it)", null);
            }
            case FAILED -> {
                if (ledger != null) {
                    ledger.failed(b, o.attempts(), o.status(), o.response());
                }
                run.failed.add(b.size());
                batchStatus(run, b, StatusEvent.State.FAILED, "not delivered: " + o.response(), o.status());
            }
            default -> throw new IllegalStateException("unknown outcome " + o.kind());
        }
    }

    /** The run could not go on (empty source, source or ledger failure). */
    public void fail(RoketRun run, Exception e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        LOG.error("roket-upload {} failed: {}", run.date, msg);
        run.abort(msg);
    }

    /** Closes the source, resolves uncertain batches sent again, writes the run down and releases the date. */
    public RoketRun.Summary finish(RoketRun run) {
        if (run.done.isDone()) {
            return run.done.join();
        }
        AutoCloseable source = run.source;
        if (source != null) {
            try {
                source.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
        if (run.heartbeat != null) {
            run.heartbeat.cancel(false);
        }
        if (run.rowsRead.sum() == 0 && !settings.allowEmpty()) {
            // Counted rows, then streamed none: a source answering empty now and then must not look like success.
            run.abort("the source query returned no rows for " + run.date + " (set flowledger.roket.allow-empty=true"
                    + " if this date really has no data)");
        }
        RoketRun.Summary summary = run.summary();
        try {
            if (ledger != null) {
                List<String> resent = new ArrayList<>();
                run.openUncertain.forEach((batchId, ids) -> {
                    if (ids.stream().allMatch(id -> run.resentDelivered.contains(id)
                            || !run.uncertainToResend.containsKey(id))) {
                        resent.add(batchId);
                    }
                });
                if (!resent.isEmpty() && !settings.holdUncertain() && !run.releaseHeld) {
                    ledger.resolve(resent, "RESENT");
                }
                ledger.runFinished(summary);
                ledger.release(run.date, run.runId);
            }
        } catch (RuntimeException e) {
            LOG.error("roket-upload {}: could not write the end of run {}: {}", run.date, run.runId, e.getMessage());
        }
        try {
            emit(StatusEvent.status(run.runId, STAGE, summary.succeeded() ? StatusEvent.State.SUCCESS
                    : StatusEvent.State.FAILED, summary.message() + String.format(" (rows %d, skipped %d, delivered %d, "
                    + "rejected %d, uncertain %d, held %d, possible duplicates %d)", summary.rowsRead(), summary.skipped(),
                    summary.delivered(), summary.rejected(), summary.uncertain(), summary.held(),
                    summary.possibleDuplicates())));
        } catch (RuntimeException e) {
            LOG.warn("roket-upload {}: final status not emitted: {}", run.date, e.getMessage());
        }
        count(summary);
        run.done.complete(summary);
        return summary;
    }

    /**
     * The run's figures as Micrometer counters, scraped as {@code flowledger_roket_upload_..._total} on
     * /observe/metrics (a job command has no management server, so nothing to scrape there).
     */
    private void count(RoketRun.Summary s) {
        try {
            var registry = camelContext == null ? null
                    : camelContext.getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
            if (registry == null) {
                return;
            }
            registry.counter("flowledger_roket_upload_runs", "result", s.succeeded() ? "succeeded" : "failed").increment();
            Map<String, Long> records = new LinkedHashMap<>();
            records.put("delivered", s.delivered());
            records.put("skipped", s.skipped());
            records.put("rejected", s.rejected());
            records.put("uncertain", s.uncertain());
            records.put("held", s.held());
            records.put("failed", s.failed());
            records.forEach((outcome, n) -> registry.counter("flowledger_roket_upload_records", "outcome", outcome)
                    .increment(n));
            registry.counter("flowledger_roket_upload_batches").increment(s.batches());
            registry.counter("flowledger_roket_upload_retries").increment(s.retries());
        } catch (RuntimeException e) {
            LOG.debug("roket-upload metrics not counted: {}", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ status

    private void batchStatus(RoketRun run, RoketBatch b, StatusEvent.State state, String message, Integer code) {
        emit(StatusEvent.recordStatus(run.runId, "batch/" + b.batchId(), run.date, STAGE, state,
                message + " [" + b.size() + " record(s)" + (b.parentBatchId() == null ? "" : ", part of "
                        + b.parentBatchId()) + "]", code));
    }

    private void emit(StatusEvent e) {
        try {
            StatusEmitter emitter = camelContext.getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
            if (emitter != null) {
                emitter.emit(e);
            }
        } catch (RuntimeException ex) {
            LOG.warn("status not emitted: {}", ex.getMessage());
        }
    }

    public void shutdown() {
        heartbeats.shutdownNow();
        runs.shutdownNow();
    }
}
