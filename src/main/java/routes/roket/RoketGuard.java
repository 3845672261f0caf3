package routes.roket;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The two steps of the sink between a record and a batch. {@link #isNew} is the ledger filter: a record passes
 * unless its id is delivered already (the digests of the ledger's {@code CAMEL_MESSAGEPROCESSED} rows, read once per
 * run), held (open uncertain batch under {@code on-uncertain=hold}) or taken by this run before. A record becomes
 * delivered only when Roket said so ({@link RoketLedger#delivered}). {@link #aggregate} collects the records that
 * passed into a batch; the aggregator's completion size is the batch size.
 */
public class RoketGuard implements AggregationStrategy, Predicate {

    static final String RUN = "roketRun";
    private static final String ROWS = "roketRows";
    static final String END_SEEN = "roketEnd";

    /** The route's filter ({@code ref: roketGuard}): a plain predicate, no bean-method lookup per record. */
    @Override
    public boolean matches(Exchange exchange) {
        return isNew(exchange);
    }

    /** The ledger filter (a record not passing is counted as skipped or held). */
    public boolean isNew(Exchange exchange) {
        RoketBatch.Row row = exchange.getMessage().getBody(RoketBatch.Row.class);
        if (row == RoketRecords.END) {
            return true;
        }
        RoketRun run = exchange.getProperty(RUN, RoketRun.class);
        run.lastRecordNanos = System.nanoTime();
        synchronized (run) {
            if (run.heldIds.contains(row.id())) {
                run.held.increment();
                return false;
            }
            if (!run.seen.add(row.id())) {
                run.skipped.increment();
                return false;
            }
        }
        run.open.incrementAndGet();
        return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Exchange aggregate(Exchange batch, Exchange record) {
        Exchange into = batch == null ? record : batch;
        List<RoketBatch.Row> rows = into.getProperty(ROWS, List.class);
        if (rows == null) {
            rows = new ArrayList<>(RoketSettings.MAX_BATCH);
            into.setProperty(ROWS, rows);
        }
        RoketBatch.Row row = record.getMessage().getBody(RoketBatch.Row.class);
        if (row == RoketRecords.END) {
            into.setProperty(END_SEEN, true);
        } else {
            rows.add(row);
        }
        return into;
    }

    /** The batch as the body: a {@link RoketBatch}, or null when only the end marker was in it. */
    @Override
    @SuppressWarnings("unchecked")
    public void onCompletion(Exchange exchange) {
        List<RoketBatch.Row> rows = exchange.removeProperty(ROWS) instanceof List<?> l
                ? (List<RoketBatch.Row>) l : List.of();
        exchange.removeProperty(END_SEEN);
        exchange.getMessage().setBody(rows.isEmpty() ? null : RoketBatch.of(rows));
    }
}
