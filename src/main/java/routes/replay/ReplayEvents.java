package routes.replay;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.Props;
import routes.common.status.StatusEvent.State;

/** What the replay steps tell the world: status messages (per day, with its record count) and Micrometer counters. */
final class ReplayEvents {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");

    private final Supplier<StatusEmitter> emitter;
    private final Supplier<MeterRegistry> meters;
    private final Supplier<routes.common.lineage.Lineage> lineage;

    ReplayEvents(Supplier<StatusEmitter> emitter, Supplier<MeterRegistry> meters,
                 Supplier<routes.common.lineage.Lineage> lineage) {
        this.emitter = emitter;
        this.meters = meters;
        this.lineage = lineage;
    }

    /** The run's job and datasets for OpenLineage (ReplayLineage), before its first status event. */
    void describe(String runId, routes.common.lineage.LineageJob job) {
        routes.common.lineage.Lineage l = lineage.get();
        if (l != null) {
            l.describe(runId, job);
        }
    }

    /** A day's status: recordId is the day; recordCount the records the event covers (progress counts records). */
    void day(String runId, String day, String stage, State state, String message, long records) {
        emit(new StatusEvent(StatusEvent.STATUS, new Props(java.util.UUID.randomUUID().toString(), runId, null, null, null,
                records, day, "1", stage, state.name(), message, null, java.time.Instant.now())));
    }

    /**
     * A day failed in {@code stage}: its records count as failed in the run's dataflow. {@code records} is what the
     * pre-flight (or the replay) found; when nothing is known (the backup could not be read) the event carries no
     * recordCount, so the day counts as one failed record rather than as none.
     */
    void dayFailed(String runId, String day, String stage, String message, long records) {
        StatusEvent e = StatusEvent.recordStatus(runId, day, "1", stage, State.FAILED, message, null);
        emit(records > 0 ? e.withRecordCount(records) : e);
    }

    void emit(StatusEvent e) {
        try {
            StatusEmitter em = emitter.get();
            if (em != null) {
                em.emit(e);
            }
        } catch (RuntimeException ex) {
            LOG.warn("status message not emitted: {}", ex.getMessage());
        }
    }

    /** Micrometer counters, scraped as flowledger_replay_..._total on /observe/metrics (none in a job command). */
    void count(String name, long amount, String tag, String value) {
        try {
            MeterRegistry registry = meters.get();
            if (registry != null && amount > 0) {
                registry.counter(name, tag, value).increment(amount);
            }
        } catch (RuntimeException e) {
            LOG.debug("metric {} not counted: {}", name, e.getMessage());
        }
    }
}
