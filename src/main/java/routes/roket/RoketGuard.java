package routes.roket;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The two steps of the sink between a chunk of records and a batch. {@link #matches} is the run's filter: it drops
 * from the chunk the records held (open uncertain batch under {@code on-uncertain=hold}) or already taken by this
 * run, in memory, and lets the chunk pass when anything is left (or it ends an upload's stream). {@link #aggregate}
 * collects the chunks that passed into batches of at most {@code batch-size} records: a chunk that would overflow
 * the batch being formed completes it first ({@link #preComplete}). What the ledger holds as delivered is dropped
 * from each batch by {@link RoketLedgerFilter}, on the sender threads.
 */
public class RoketGuard implements AggregationStrategy, Predicate {

    static final String RUN = "roketRun";
    private static final String ROWS = "roketRows";
    /** Set on a batch being formed that is full or ends an upload's stream: the aggregator's completion. */
    static final String COMPLETE = "roketComplete";

    private final int batchSize;

    public RoketGuard(int batchSize) {
        this.batchSize = batchSize;
    }

    /** The run's filter ({@code ref: roketGuard}): the chunk's new records, or nothing (counted as skipped or held). */
    @Override
    public boolean matches(Exchange exchange) {
        RoketBatch.Chunk chunk = exchange.getMessage().getBody(RoketBatch.Chunk.class);
        RoketRun run = exchange.getProperty(RUN, RoketRun.class);
        run.lastRecordNanos = System.nanoTime();
        List<RoketBatch.Row> taken = new ArrayList<>(chunk.rows().size());
        synchronized (run) {
            for (RoketBatch.Row row : chunk.rows()) {
                if (run.heldIds.contains(row.id())) {
                    run.held.increment();
                } else if (!run.seen.add(row.id())) {
                    run.skipped.increment();
                } else {
                    taken.add(row);
                }
            }
        }
        run.open.addAndGet(taken.size());
        exchange.getMessage().setBody(new RoketBatch.Chunk(taken, chunk.end()));
        return !taken.isEmpty() || chunk.end();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Exchange aggregate(Exchange batch, Exchange chunk) {
        Exchange into = batch == null ? chunk : batch;
        List<RoketBatch.Row> rows = into.getProperty(ROWS, List.class);
        if (rows == null) {
            rows = new ArrayList<>(batchSize);
            into.setProperty(ROWS, rows);
        }
        RoketBatch.Chunk c = chunk.getMessage().getBody(RoketBatch.Chunk.class);
        rows.addAll(c.rows());
        if (c.end() || rows.size() >= batchSize) {
            into.setProperty(COMPLETE, true);
        }
        return into;
    }

    @Override
    public boolean canPreComplete() {
        return true;
    }

    /** A chunk that does not fit into the batch being formed sends that batch first and starts the next one. */
    @Override
    @SuppressWarnings("unchecked")
    public boolean preComplete(Exchange batch, Exchange chunk) {
        List<RoketBatch.Row> rows = batch == null ? null : batch.getProperty(ROWS, List.class);
        RoketBatch.Chunk c = chunk.getMessage().getBody(RoketBatch.Chunk.class);
        return rows != null && !rows.isEmpty() && rows.size() + c.rows().size() > batchSize;
    }

    /** The batch as the body: a {@link RoketBatch}, or null when only the end marker was in it. */
    @Override
    @SuppressWarnings("unchecked")
    public void onCompletion(Exchange exchange) {
        List<RoketBatch.Row> rows = exchange.removeProperty(ROWS) instanceof List<?> l
                ? (List<RoketBatch.Row>) l : List.of();
        exchange.removeProperty(COMPLETE);
        exchange.getMessage().setBody(rows.isEmpty() ? null : RoketBatch.of(rows));
    }
}
