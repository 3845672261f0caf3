package routes.roket;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;

/**
 * The start and the end of a run, called from the routes: what it starts from (the ledger's delivered ids and
 * uncertain batches), the empty-source guard, waiting for its last batches, sending its own uncertain batches
 * again ({@code on-uncertain=resend}), and its summary, written to the ledger and reported.
 */
public class RoketRunSteps {

    private static final Logger LOG = LoggerFactory.getLogger(RoketRunSteps.class);

    private final RoketSettings settings;
    private final RoketLedger ledger;
    private final RoketQueries queries;
    private final RoketBatchLedger batches;
    private final RoketReport report;
    private final DataSource source;

    public RoketRunSteps(RoketSettings settings, RoketLedger ledger, RoketQueries queries, RoketBatchLedger batches,
                         RoketReport report, DataSource source) {
        this.settings = settings;
        this.ledger = ledger;
        this.queries = queries;
        this.batches = batches;
        this.report = report;
        this.source = source;
    }

    /**
     * Starts from the ledger: interrupted batches become uncertain; the records of open uncertain batches that are
     * not delivered since are resent, held or released. Delivered ids are not loaded: the ledger filter asks the
     * ledger once per chunk ({@link RoketGuard}).
     */
    public void fromLedger(RoketRun run) {
        run.interruptedBatches = batches.markInterruptedUncertain(run.date);
        run.deliveredBefore = queries.anyDelivered(run.date);
        Map<String, List<String>> open = queries.openUncertain(run.date);
        Set<String> all = new HashSet<>();
        open.values().forEach(all::addAll);
        Set<String> deliveredSince = new HashSet<>();
        List<String> ids = new ArrayList<>(all);
        for (int i = 0; i < ids.size(); i += RoketSettings.MAX_BATCH) {
            deliveredSince.addAll(queries.deliveredAmong(run.date, ids.subList(i, Math.min(ids.size(),
                    i + RoketSettings.MAX_BATCH))));
        }
        List<String> toRelease = new ArrayList<>();
        Set<String> held = new HashSet<>();
        open.forEach((batchId, batchIds) -> {
            for (String id : batchIds) {
                if (deliveredSince.contains(id)) {
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
            batches.resolve(toRelease, "RELEASED");
        }
        run.heldIds = held;
        run.openUncertain = open;
        LOG.info("roket-upload {}: {} uncertain batch(es) open; {}", run.date, open.size(), run.deliveredBefore
                ? "records delivered before: the ledger filter asks for each batch" : "nothing delivered before");
    }

    /** Tells lineage what the run reads and writes (RoketLineage), before it emits anything. */
    void describe(RoketRun run) {
        report.describe(run, RoketLineage.job(settings, run));
    }

    /**
     * An upload's start: the ledger, then (only with {@code flowledger.roket.source.count-query}) the date's row count
     * for dataSetDetails, and the IN_PROGRESS status. Without a count query the count is the rows read, at the end.
     */
    public void begin(RoketRun run, Exchange exchange) throws Exception {
        fromLedger(run);
        exchange.getMessage().setHeader("date", java.sql.Date.valueOf(run.date));
        exchange.getMessage().setBody(null);
        if (!settings.countQuery().isEmpty()) {
            long count = RoketSourceDb.count(source, settings, run.date);
            run.sourceRows = count;
            report.details(run, count);
            if (count == 0 && !settings.allowEmpty()) {
                throw new IllegalStateException(emptySource(run));
            }
        }
        report.run(run, StatusEvent.State.IN_PROGRESS, "upload of " + run.date + " started"
                + (run.sourceRows >= 0 ? " (" + run.sourceRows + " source rows)" : ""));
    }

    /**
     * The stream has ended: waits for the batches in flight, then sends this run's uncertain batches once more
     * ({@code on-uncertain=resend}; {@code hold} leaves them to a person).
     */
    public void endOfStream(RoketRun run, Exchange exchange) throws InterruptedException {
        endOfStream(run, exchange.getContext());
    }

    void endOfStream(RoketRun run, org.apache.camel.CamelContext context) throws InterruptedException {
        run.awaitOpenRecords();
        if (settings.holdUncertain() || run.uncertainInRun.isEmpty()) {
            return;
        }
        if (run.isStopping()) {
            notSentAgain(run);
            return;
        }
        ProducerTemplate producer = context.createProducerTemplate();
        try {
            List<String> resent = new ArrayList<>();
            RoketBatch next;
            while (!run.isStopping() && (next = run.uncertainInRun.poll()) != null) {
                RoketBatch old = next;
                LOG.info("roket-upload {}: sending uncertain batch {} again ({} records, possible duplicates)",
                        run.date, old.batchId(), old.size());
                RoketBatch again = new RoketBatch(UUID.randomUUID().toString(), old.batchId(), old.rows());
                run.open.addAndGet(again.size());
                Exchange result = producer.send("direct:roket-send", e -> {
                    e.setProperty(RoketGuard.RUN, run);
                    e.setProperty(RoketDelivery.RESEND, old.batchId());
                    e.getMessage().setBody(again);
                });
                if (result.getProperty(RoketClassifier.ANSWER) == RoketClassifier.Answer.DELIVERED) {
                    resent.add(old.batchId());
                }
            }
            if (!resent.isEmpty()) {
                batches.resolve(resent, "RESENT");
            }
            notSentAgain(run);
        } finally {
            try {
                producer.stop();
            } catch (Exception ignored) {
                // nothing to release
            }
        }
    }

    /** Uncertain batches the stopping run does not send again: their records end this run as failed. */
    private void notSentAgain(RoketRun run) {
        RoketBatch b;
        while ((b = run.uncertainInRun.poll()) != null) {
            report.batch(run, b, StatusEvent.State.FAILED, "uncertain (Roket may or may not have stored it); not sent"
                    + " again: the run stopped", null);
        }
    }

    /** The run could not go on (empty source, source or ledger failure). */
    public void fail(RoketRun run, Exception e) {
        String msg = reason(e);
        LOG.error("roket-upload {} failed: {}", run.date, routes.common.Messages.oneLine(msg));
        run.abort(msg);
    }

    RoketReport report() {
        return report;
    }

    /** Resolves uncertain batches sent again, writes the run down, releases the claim, reports the verdict. */
    public RoketRun.Summary finish(RoketRun run, boolean upload) {
        if (run.done.isDone()) {
            return run.done.join();
        }
        if (run.heartbeat != null) {
            run.heartbeat.cancel(false);
        }
        if (upload && run.rowsRead.sum() == 0 && !settings.allowEmpty()) {
            // Counted rows, then streamed none: a source answering empty now and then must not look like success.
            run.abort(emptySource(run));
        }
        if (run.sourceRows < 0) {
            report.details(run, run.rowsRead.sum());
        }
        RoketRun.Summary summary = run.summary();
        try {
            List<String> resent = new ArrayList<>();
            run.openUncertain.forEach((batchId, ids) -> {
                if (ids.stream().allMatch(id -> run.resentDelivered.contains(id)
                        || !run.uncertainToResend.containsKey(id))) {
                    resent.add(batchId);
                }
            });
            if (!resent.isEmpty() && !settings.holdUncertain() && !run.releaseHeld) {
                batches.resolve(resent, "RESENT");
            }
            ledger.runFinished(summary);
            ledger.release(run.date, run.runId);
        } catch (RuntimeException e) {
            LOG.error("roket-upload {}: could not write the end of run {}: {}", run.date, run.runId, e.getMessage());
        }
        if (!summary.succeeded()) {
            try {
                summary = summary.withNeedsAPerson(RoketAttention.lines(queries, run));
            } catch (RuntimeException e) {
                LOG.warn("roket-upload {}: the records that need a person could not be read: {}", run.date,
                        e.getMessage());
            }
        }
        report.skipped(run, summary.skipped());
        report.run(run, summary.succeeded() ? StatusEvent.State.SUCCESS : StatusEvent.State.FAILED,
                summary.message() + String.format(" (rows %d, skipped %d, delivered %d, rejected %d, uncertain %d,"
                        + " held %d, possible duplicates %d)", summary.rowsRead(), summary.skipped(),
                        summary.delivered(), summary.rejected(), summary.uncertain(), summary.held(),
                        summary.possibleDuplicates()));
        report.count(summary);
        run.done.complete(summary);
        return summary;
    }

    /** The most telling message of a failure: the source's connection failure, however deep it is wrapped. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().startsWith("cannot connect to the source")) {
                return t.getMessage();
            }
        }
        Throwable t = e;
        while (t instanceof org.springframework.dao.DataAccessException && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = t.getMessage() == null ? t.toString() : t.getMessage();
        return t instanceof java.sql.SQLException ? "the source query failed: " + RoketSourceDb.oneLine(msg) : msg;
    }

    private String emptySource(RoketRun run) {
        return "the source query returned no rows for " + run.date + "; a source that answers empty must not look"
                + " like success (set flowledger.roket.allow-empty=true if this date really has no data)";
    }
}
