package routes.roket;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;

/** What a run tells the world: its status messages (through the statusEmitter) and its Micrometer counters. */
public class RoketReport implements CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(RoketReport.class);
    public static final String STAGE = "ROKET_UPLOAD";

    private CamelContext camelContext;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** One batch's outcome; {@code recordCount} says how many records it covers (progress counts records). */
    void batch(RoketRun run, RoketBatch b, StatusEvent.State state, String message, Integer code) {
        String text = message + " [" + b.size() + " record(s)" + (b.parentBatchId() == null ? "" : ", part of "
                + b.parentBatchId()) + "]";
        emit(new StatusEvent(StatusEvent.STATUS, new StatusEvent.Props(UUID.randomUUID().toString(), run.runId,
                null, null, null, (long) b.size(), "batch/" + b.batchId(), run.date, STAGE, state.name(), text, code,
                Instant.now())));
    }

    void record(RoketRun run, String id, StatusEvent.State state, String message, Integer code) {
        emit(StatusEvent.recordStatus(run.runId, id, run.date, STAGE, state, message, code));
    }

    /**
     * The run's records found already delivered (or read twice): one record-level SKIPPED covering them, so they
     * count as done in the dataflow (progress of a re-run reaches 100%), not as pending.
     */
    void skipped(RoketRun run, long records) {
        if (records > 0) {
            emit(StatusEvent.recordsStatus(run.runId, "skipped/" + run.runId, run.date, STAGE, StatusEvent.State.SKIPPED,
                    records + " record(s) already delivered: not sent again", null, records));
        }
    }

    void run(RoketRun run, StatusEvent.State state, String message) {
        emit(StatusEvent.status(run.runId, STAGE, state, message));
    }

    void details(RoketRun run, long records) {
        emit(StatusEvent.dataSetDetails(run.runId, run.dataset, "1", StatusEvent.DataSetType.TABLE, records));
    }

    /** The run's job and datasets for OpenLineage, before its first status event (a no-op with lineage off). */
    void describe(RoketRun run, routes.common.lineage.LineageJob job) {
        routes.common.lineage.Lineage lineage = camelContext == null ? null
                : camelContext.getRegistry().lookupByNameAndType("lineage", routes.common.lineage.Lineage.class);
        if (lineage != null) {
            lineage.describe(run.runId, job);
        }
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

    /**
     * The run's figures as Micrometer counters, scraped as {@code flowledger_roket_upload_..._total} on
     * /observe/metrics (a job command has no management server, so nothing to scrape there).
     */
    void count(RoketRun.Summary s) {
        try {
            MeterRegistry registry = camelContext == null ? null
                    : camelContext.getRegistry().findSingleByType(MeterRegistry.class);
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
}
