package routes.roket;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The ledger filter ({@code filter: {ref: roketLedgerFilter}} in the sink, on the sender threads): drops from a formed
 * batch the records the ledger holds as delivered for the run's key, asked in one read of Camel's idempotent
 * repository table ({@code CAMEL_MESSAGEPROCESSED}) per batch, so a re-run asks the DB once per 100 records and
 * nothing of a dataset's history is held in memory. A record becomes delivered only when Roket said so
 * ({@link RoketBatchLedger#delivered}). A batch with nothing left, or an upload's end marker alone, goes no further.
 */
public class RoketLedgerFilter implements Predicate {

    private final RoketQueries ledger;

    public RoketLedgerFilter(RoketQueries ledger) {
        this.ledger = ledger;
    }

    @Override
    public boolean matches(Exchange exchange) {
        RoketBatch batch = exchange.getMessage().getBody(RoketBatch.class);
        if (batch == null) {
            return false;
        }
        RoketRun run = exchange.getProperty(RoketGuard.RUN, RoketRun.class);
        if (!run.deliveredBefore) {
            return true; // nothing was delivered when the run started, and only this run delivers while it runs
        }
        Set<String> delivered;
        try {
            delivered = ledger.deliveredAmong(run.date, batch.ids());
        } catch (RuntimeException e) {
            // Not knowing what is delivered, nothing of the batch is sent; a later run reads these records again.
            run.abort(e.getMessage());
            run.open.addAndGet(-batch.size());
            return false;
        }
        if (delivered.isEmpty()) {
            return true;
        }
        List<RoketBatch.Row> rows = new ArrayList<>(batch.size() - delivered.size());
        for (RoketBatch.Row r : batch.rows()) {
            if (!delivered.contains(r.id())) {
                rows.add(r);
            }
        }
        run.skipped.add(delivered.size());
        run.open.addAndGet(-delivered.size());
        if (rows.isEmpty()) {
            return false;
        }
        exchange.getMessage().setBody(RoketBatch.of(rows));
        return true;
    }
}
