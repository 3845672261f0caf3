package routes.roket;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upload of one date: its claim, what it starts from (delivered ids, uncertain records) and its counters.
 * Shared by the reading thread and the sender threads; counters are thread-safe.
 */
public final class RoketRun {

    public final String runId;
    /** The ledger key: the date of an upload, the dataset of a Kamelet-fed run. */
    public final String date;
    /** The dataSetId of its status messages ({@code roket-upload/<date>} or the Kamelet's dataset). */
    public final String dataset;
    public final String trigger;
    public final boolean releaseHeld;
    public final Instant startedAt = Instant.now();
    final CompletableFuture<Summary> done = new CompletableFuture<>();

    /** Ids this run has taken (admitted, or found delivered): a second occurrence in the source is skipped. */
    final IdSet seen = new IdSet(1024);
    /**
     * Whether the ledger held delivered records of this key when the run started. When not, the ledger filter has
     * nothing to ask: while the run holds the claim only it writes delivered records, and it takes each id once.
     */
    volatile boolean deliveredBefore = true;
    /** Records of open UNCERTAIN batches this run sends again (on-uncertain=resend): id to its old batch. */
    Map<String, String> uncertainToResend = new HashMap<>();
    /** Old uncertain batches, for resolving them once their records are delivered again. */
    Map<String, List<String>> openUncertain = Map.of();
    /** Records kept out because they sit in an open UNCERTAIN batch (on-uncertain=hold). */
    Set<String> heldIds = Set.of();
    final Set<String> resentDelivered = ConcurrentHashMap.newKeySet();
    /** Batches that became uncertain in this run, kept (rows and all) to be sent again at its end. */
    final java.util.Queue<RoketBatch> uncertainInRun = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Records admitted by the ledger filter and not yet answered for (in a batch being formed or in flight). */
    final java.util.concurrent.atomic.AtomicLong open = new java.util.concurrent.atomic.AtomicLong();
    /** When a record last entered the sink (Kamelet-fed runs end after a quiet spell). */
    volatile long lastRecordNanos = System.nanoTime();

    final LongAdder rowsRead = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder held = new LongAdder();
    final LongAdder sent = new LongAdder();
    final LongAdder delivered = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder uncertain = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder possibleDuplicates = new LongAdder();
    final LongAdder released = new LongAdder();
    volatile long sourceRows = -1;
    volatile int interruptedBatches;

    ScheduledFuture<?> heartbeat;
    volatile String failure;
    volatile boolean stopping;
    /** Exchanges of a Kamelet-fed run inside the sink right now. */
    final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();

    RoketRun(String runId, String date, String trigger, boolean releaseHeld) {
        this(runId, date, RoketLedger.processorName(date), trigger, releaseHeld);
    }

    RoketRun(String runId, String key, String dataset, String trigger, boolean releaseHeld) {
        this.runId = runId;
        this.date = key;
        this.dataset = dataset;
        this.trigger = trigger;
        this.releaseHeld = releaseHeld;
    }

    public String getRunId() {
        return runId;
    }

    public String getDate() {
        return date;
    }

    public String getDataset() {
        return dataset;
    }

    /** Waits until every admitted record is answered for (its batch delivered, rejected, uncertain or failed). */
    void awaitOpenRecords() throws InterruptedException {
        while (open.get() > 0) {
            Thread.sleep(2);
        }
    }

    /** Stops reading and sending (retries end too); the first reason given is the run's failure. */
    void abort(String reason) {
        synchronized (this) {
            if (failure == null) {
                failure = reason;
            }
        }
        stopping = true;
    }

    boolean isStopping() {
        return stopping;
    }

    public CompletableFuture<Summary> completion() {
        return done;
    }

    /** Progress as the command prints it. */
    public String progress() {
        double secs = Math.max(0.001, Duration.between(startedAt, Instant.now()).toMillis() / 1000.0);
        long read = rowsRead.sum();
        return String.format("roket-upload %s: %,d%s rows read, %,d batches done, %,d delivered, %,.0f records/s",
                date, read, sourceRows >= 0 ? " of " + String.format("%,d", sourceRows) : "", batches.sum(),
                delivered.sum(), delivered.sum() / secs);
    }

    Summary summary() {
        Duration elapsed = Duration.between(startedAt, Instant.now());
        String message = failure;
        boolean ok = failure == null && rejected.sum() == 0 && uncertain.sum() == 0 && held.sum() == 0
                && failed.sum() == 0;
        if (message == null && !ok) {
            message = String.format("not every row was delivered: %d rejected, %d uncertain, %d held, %d failed",
                    rejected.sum(), uncertain.sum(), held.sum(), failed.sum());
        }
        return new Summary(runId, date, ok, rowsRead.sum(), skipped.sum(), sent.sum(), delivered.sum(), batches.sum(),
                retries.sum(), rejected.sum(), uncertain.sum(), held.sum(), failed.sum(), possibleDuplicates.sum(),
                elapsed, message == null ? "every row of " + date + " is delivered" : message, List.of());
    }

    /** What a run did, in the terms of the command's summary. */
    public record Summary(String runId, String date, boolean succeeded, long rowsRead, long skipped, long sent,
                          long delivered, long batches, long retries, long rejected, long uncertain, long held,
                          long failed, long possibleDuplicates, Duration elapsed, String message,
                          List<String> needsAPerson) {

        /** The same summary with the records that need a person (RoketAttention), printed after the message. */
        public Summary withNeedsAPerson(List<String> lines) {
            return new Summary(runId, date, succeeded, rowsRead, skipped, sent, delivered, batches, retries, rejected,
                    uncertain, held, failed, possibleDuplicates, elapsed, message, List.copyOf(lines));
        }

        public double throughput() {
            return delivered / Math.max(0.001, elapsed.toMillis() / 1000.0);
        }

        public String format() {
            return String.format("roket-upload %s run %s: %s%n"
                            + "  rows read %,d | already delivered (skipped) %,d | sent %,d | delivered %,d | batches %,d"
                            + " | retries %,d | rejected %,d | uncertain %,d | held %,d | failed %,d"
                            + " | possible duplicates %,d%n"
                            + "  elapsed %.1f s | throughput %,.0f records/s%n  %s",
                    date, runId, succeeded ? "SUCCEEDED" : "FAILED", rowsRead, skipped, sent, delivered, batches,
                    retries, rejected, uncertain, held, failed, possibleDuplicates, elapsed.toMillis() / 1000.0,
                    throughput(), message) + needsAPerson.stream().map(l -> System.lineSeparator() + l)
                    .collect(java.util.stream.Collectors.joining());
        }
    }
}
