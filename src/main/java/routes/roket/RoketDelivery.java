package routes.roket;

import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;
import routes.roket.RoketClassifier.Answer;

/**
 * The ledger side of sending one batch, called by the {@code roket-send} route around its HTTP call: the batch is
 * written {@code SENDING} before its request leaves, each attempt gets its body and headers, and the classifier's
 * answer is written down (delivered, split into halves, rejected, uncertain, failed) with its status message.
 */
public class RoketDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(RoketDelivery.class);
    static final String BATCH = "roketBatch";
    /** Set on a batch sent again at the end of its run (it was uncertain): delivered = a possible duplicate. */
    static final String RESEND = "roketResend";

    private final RoketSettings settings;
    private final RoketBatchLedger ledger;
    private final RoketReport report;

    public RoketDelivery(RoketSettings settings, RoketBatchLedger ledger, RoketReport report) {
        this.settings = settings;
        this.ledger = ledger;
        this.report = report;
    }

    /** Written before the request leaves: a crash from here on leaves the batch SENDING, i.e. uncertain. */
    public void sending(Exchange exchange) {
        RoketBatch b = exchange.getMessage().getBody(RoketBatch.class);
        RoketRun run = exchange.getProperty(RoketGuard.RUN, RoketRun.class);
        exchange.setProperty(BATCH, b);
        exchange.setProperty(RoketClassifier.ATTEMPTS, 0);
        exchange.removeProperty(RoketClassifier.WAIT_MS);
        if (run.isStopping()) {
            // Formed but never written down nor sent: a later run reads these records again.
            exchange.setProperty(RoketClassifier.ANSWER, "DROPPED");
            return;
        }
        try {
            if (b.parentBatchId() == null || exchange.getProperty(RESEND) != null) {
                ledger.sending(run.runId, run.date, b); // halves were written SENDING with their split
            }
            run.sent.add(b.size());
            exchange.setProperty(RoketClassifier.ANSWER, Answer.SEND);
        } catch (RuntimeException e) {
            LOG.error("roket-upload {}: batch {} stopped the run: {}", run.date, b.batchId(), e.getMessage());
            run.abort("batch " + b.batchId() + ": " + e.getMessage());
            exchange.setProperty(RoketClassifier.ANSWER, "DROPPED");
        }
    }

    /** One attempt's request: waits the backoff the classifier asked for, then the body and Roket's headers. */
    public void request(Exchange exchange) throws InterruptedException {
        Long wait = exchange.removeProperty(RoketClassifier.WAIT_MS) instanceof Long l ? l : null;
        if (wait != null && wait > 0) {
            Thread.sleep(wait);
        }
        exchange.setProperty(RoketClassifier.ATTEMPTS, exchange.getProperty(RoketClassifier.ATTEMPTS, 0, Integer.class) + 1);
        Message m = exchange.getMessage();
        m.removeHeaders("*"); // a record's headers (file names, CSV headers) must not become HTTP headers
        m.setHeader(Exchange.HTTP_METHOD, "POST");
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setHeader("Authorization", "Bearer " + settings.apiToken());
        m.setBody(exchange.getProperty(BATCH, RoketBatch.class).body());
    }

    /** Writes the answer down. For a split the body becomes the two halves, each sent by the route on its own. */
    public void record(Exchange exchange) {
        RoketRun run = exchange.getProperty(RoketGuard.RUN, RoketRun.class);
        RoketBatch b = exchange.getProperty(BATCH, RoketBatch.class);
        Object answer = exchange.getProperty(RoketClassifier.ANSWER);
        int attempts = exchange.getProperty(RoketClassifier.ATTEMPTS, 0, Integer.class);
        Integer status = exchange.getProperty(RoketClassifier.STATUS, Integer.class);
        String response = exchange.getProperty(RoketClassifier.RESPONSE, String.class);
        boolean answered = true;
        try {
            if (!(answer instanceof Answer a)) {
                return; // dropped: never written down nor sent
            }
            switch (a) {
                case DELIVERED -> delivered(run, b, attempts, status, response, exchange.getProperty(RESEND) != null);
                case SPLIT -> {
                    List<RoketBatch> halves = b.halves();
                    ledger.split(run.runId, run.date, b, attempts, status, response, halves);
                    report.batch(run, b, StatusEvent.State.IN_PROGRESS, "rejected as a whole (HTTP " + status
                            + "); narrowing down into " + halves.get(0).size() + " + " + halves.get(1).size(), status);
                    exchange.getMessage().setBody(halves);
                    answered = false; // the halves answer for these records
                }
                case REJECTED, STOP -> rejected(run, b, attempts, status, response, a == Answer.STOP);
                case UNCERTAIN -> {
                    ledger.uncertain(b, attempts, response);
                    boolean again = exchange.getProperty(RESEND) == null;
                    if (again) {
                        run.uncertain.add(b.size()); // sent again and uncertain again: still the same records
                        run.uncertainInRun.add(b);
                    }
                    // Still open while the run will send it again at its end; failed once that is not so.
                    boolean open = again && !settings.holdUncertain() && !run.isStopping();
                    report.batch(run, b, open ? StatusEvent.State.IN_PROGRESS : StatusEvent.State.FAILED,
                            "uncertain: " + response + " (Roket may or may not have stored it)"
                                    + (open ? "; sent again at the end of the run" : ""), null);
                }
                case FAILED -> {
                    ledger.failed(b, attempts, status, response);
                    run.failed.add(b.size());
                    report.batch(run, b, StatusEvent.State.FAILED, "not delivered: " + response, status);
                }
                default -> throw new IllegalStateException("unexpected answer " + a);
            }
            if (answered) {
                run.batches.increment();
            }
        } catch (RuntimeException e) {
            // A ledger write that fails leaves the batch SENDING: the next run counts it as uncertain.
            LOG.error("roket-upload {}: batch {} stopped the run: {}", run.date, b.batchId(), e.getMessage());
            run.abort("batch " + b.batchId() + ": " + e.getMessage());
            answered = true;
            exchange.setProperty(RoketClassifier.ANSWER, "DROPPED");
        } finally {
            if (answered) {
                run.open.addAndGet(-b.size());
            }
        }
    }

    private void delivered(RoketRun run, RoketBatch b, int attempts, Integer status, String response, boolean resend) {
        ledger.delivered(run.date, b, attempts, status, response);
        run.delivered.add(b.size());
        if (resend) {
            // Sent again at the end of its run: the first request may have been stored too.
            run.uncertain.add(-b.size());
            run.possibleDuplicates.add(b.size());
        } else if (!run.uncertainToResend.isEmpty()) {
            for (String id : b.ids()) {
                if (run.uncertainToResend.containsKey(id)) {
                    run.possibleDuplicates.increment();
                    run.resentDelivered.add(id);
                }
            }
        }
        report.batch(run, b, StatusEvent.State.SUCCESS, "delivered " + b.size() + " record(s), HTTP " + status
                + " after " + attempts + " attempt(s)" + (resend ? " (sent again after an uncertain answer:"
                + " possible duplicates)" : ""), status);
    }

    private void rejected(RoketRun run, RoketBatch b, int attempts, Integer status, String response, boolean stop) {
        ledger.rejected(run.runId, run.date, b, attempts, status, response);
        run.rejected.add(b.size());
        // One FAILED status per refused record, and none for its batch: a record must not count twice.
        for (String id : b.ids()) {
            report.record(run, id, StatusEvent.State.FAILED, "Roket refused the record (batch " + b.batchId()
                    + "): " + RoketSql.excerpt(response, 300), status);
        }
        if (stop) {
            run.abort("Roket refused the credentials (HTTP " + status + "): check flowledger.roket.api.token");
        }
    }
}
