package routes.cubic;

import java.util.List;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;

/**
 * The rules around the cubic-ingestion route's S3 steps for one load: its state machine moves and status messages
 * (stage per step: CUBIC_INGEST, CUBIC_ARCHIVE, CUBIC_ERROR). A step that loses its claim does nothing.
 */
public class CubicWorker {

    private static final Logger LOG = LoggerFactory.getLogger(CubicWorker.class);
    public static final String INGEST = "CUBIC_INGEST";
    public static final String ARCHIVE = "CUBIC_ARCHIVE";
    public static final String ERROR = "CUBIC_ERROR";

    private final LoadStateMachine states;
    private final CubicIngester ingester;
    private final CubicMover mover;
    private final Consumer<StatusEvent> status;
    private final int batchSize;

    public CubicWorker(LoadStateMachine states, CubicIngester ingester, CubicMover mover, Consumer<StatusEvent> status,
                       int batchSize) {
        this.states = states;
        this.ingester = ingester;
        this.mover = mover;
        this.status = status;
        this.batchSize = batchSize;
    }

    /** Exchange property: whether the last round claimed anything (the work route claims again at once if so). */
    public static final String CLAIMED = "cubicClaimed";

    /**
     * The work this instance takes on in this round, as units (see {@link LoadStateMachine#claimUnits(int)}); none
     * once the service is stopping.
     */
    public List<List<CubicLoad>> claimUnits(Exchange exchange) {
        List<List<CubicLoad>> units = exchange.getContext().isStopping() ? List.of() : states.claimUnits(batchSize);
        exchange.setProperty(CLAIMED, !units.isEmpty());
        return units;
    }

    /** Exchange property holding what is left of the unit being worked through. */
    public static final String UNIT = "cubicUnit";
    /** Exchange property set once a load of the unit failed: the rest of the unit waits for its lease (order). */
    public static final String STOPPED = "cubicUnitStopped";
    /** Exchange property holding the load being worked on. */
    public static final String LOAD = "cubicLoad";

    /**
     * The unit's next load (also the exchange property {@link #LOAD}), or null when the unit is done or stopped. A
     * waiting load's claim is renewed as its turn comes; a load whose claim was lost ends the unit (its order is
     * then someone else's to keep).
     */
    public CubicLoad next(Exchange exchange) {
        @SuppressWarnings("unchecked")
        java.util.Deque<CubicLoad> unit = exchange.getProperty(UNIT, java.util.Deque.class);
        if (unit == null) {
            unit = new java.util.ArrayDeque<>(exchange.getMessage().getBody(List.class));
            exchange.setProperty(UNIT, unit);
        }
        CubicLoad next = Boolean.TRUE.equals(exchange.getProperty(STOPPED, Boolean.class)) ? null : unit.poll();
        if (next != null && !states.renewLease(next.id(), next.status())) {
            LOG.warn("Load {} was taken over by another instance before its turn; leaving the rest of its unit", next.id());
            next = null;
        }
        exchange.setProperty(LOAD, next);
        return next;
    }

    /** ingesting: the route is about to read the object. */
    public void startIngest(CubicLoad load) {
        emit(load, INGEST, State.IN_PROGRESS, "ingesting " + load.s3Key() + " (attempt " + load.attempts() + ")");
    }

    /** The object's content to a local Parquet file (the route uploads it). */
    public CubicIngester.Result toParquet(CubicLoad load, java.io.InputStream content) throws LoadRejected, java.io.IOException {
        return ingester.toParquet(load, content, () -> states.renewLease(load.id(), LoadStatus.INGESTING));
    }

    /** The Parquet output is in the springboard bucket: ready_for_archiving and (claimed at once) archiving. */
    public CubicLoad ingested(Exchange exchange, CubicIngester.Result r) {
        CubicLoad load = exchange.getProperty(LOAD, CubicLoad.class);
        CubicLoad out;
        if (!states.apply(load.id(), LoadStateMachine.Transition.INGESTED,
                r.records() + " records to " + r.outputKey(), r.records(), r.outputKey())) {
            LOG.warn("Load {} was taken over by another instance while ingesting; leaving it", load.id());
            out = load.withStatus(LoadStatus.INGESTING);
        } else {
            emit(load, INGEST, State.SUCCESS, r.records() + " records written to springboard " + r.outputKey());
            out = claimNext(load.withOutput(r.records(), r.outputKey()), LoadStateMachine.Transition.CLAIM_ARCHIVE);
        }
        exchange.setProperty(LOAD, out);
        return out;
    }

    /** Removes an ingest's local Parquet file (after the upload, or after a failure). */
    public void cleanup(CubicIngester.Result r) throws java.io.IOException {
        if (r != null && r.file() != null) {
            java.nio.file.Files.deleteIfExists(r.file().toPath());
        }
    }

    /** The load itself is bad: ingesting, then ready_for_erroring and (claimed at once) erroring, with the reason. */
    public CubicLoad reject(Exchange exchange) {
        CubicLoad load = exchange.getProperty(LOAD, CubicLoad.class);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = e == null ? "rejected" : e.getMessage();
        LOG.warn("Load {} ({}) rejected: {}", load.id(), load.s3Key(), reason);
        CubicLoad out = load.withStatus(LoadStatus.INGESTING);
        if (states.apply(load.id(), LoadStateMachine.Transition.INGEST_FAILED, reason)) {
            emit(load, INGEST, State.FAILED, reason);
            out = claimNext(load.withError(reason), LoadStateMachine.Transition.CLAIM_ERROR);
        }
        exchange.setProperty(LOAD, out);
        return out;
    }

    /** A step failed for a reason outside the load (S3 or DB unreachable): the load is taken up again after its lease. */
    public void failed(Exchange exchange) {
        CubicLoad load = exchange.getProperty(LOAD, CubicLoad.class);
        exchange.setProperty(STOPPED, true);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String msg = (e == null ? "failed" : e.getClass().getSimpleName() + ": " + e.getMessage())
                + "; taken up again once its lease expires";
        LOG.warn("Load {} ({}) in status {}: {}", load.id(), load.s3Key(), load.status().db(), msg);
        emit(load, switch (load.status()) {
            case ARCHIVING -> ARCHIVE;
            case ERRORING -> ERROR;
            default -> INGEST;
        }, State.FAILED, msg);
    }

    /** archiving: the route is about to move the object to the archive bucket. */
    public void startArchive(CubicLoad load) {
        emit(load, ARCHIVE, State.IN_PROGRESS, "archiving " + load.s3Key());
    }

    /** The object is in the archive bucket and gone from incoming: archived, and the load's dataflow succeeded. */
    public CubicLoad archived(CubicLoad load) {
        if (states.apply(load.id(), LoadStateMachine.Transition.ARCHIVE_DONE, "moved to the archive bucket")) {
            emit(load, ARCHIVE, State.SUCCESS, "archived");
            finish(load, ARCHIVE, State.SUCCESS, "archived");
            return load.withStatus(LoadStatus.ARCHIVED);
        }
        return load;
    }

    /** erroring: the reason file the route writes beside the object in the error bucket. */
    public String errorReport(CubicLoad load) {
        emit(load, ERROR, State.IN_PROGRESS, "moving " + load.s3Key() + " to the error bucket");
        return mover.errorReport(load, states.instance());
    }

    /** The object and its reason are in the error bucket: errored, and the load's dataflow failed. */
    public CubicLoad errored(CubicLoad load) {
        if (states.apply(load.id(), LoadStateMachine.Transition.ERROR_DONE,
                "moved to the error bucket: " + Sql.truncate(load.errorReason(), 3000))) {
            emit(load, ERROR, State.FAILED, "errored: " + load.errorReason());
            finish(load, ERROR, State.FAILED, "errored: " + load.errorReason());
            return load.withStatus(LoadStatus.ERRORED);
        }
        return load;
    }

    private CubicLoad claimNext(CubicLoad load, LoadStateMachine.Transition claim) {
        if (states.apply(load.id(), claim, null)) {
            return load.withStatus(claim.to());
        }
        return load.withStatus(claim.from()); // another instance took it; it will do the step
    }

    private void emit(CubicLoad load, String stage, State state, String message) {
        send(load, StatusEvent.recordStatus(load.correlationId(), load.s3Key(), load.s3Modified().toString(),
                stage, state, message, null));
    }

    /** The load's run-level verdict: without it its dataflow would never count as finished. */
    private void finish(CubicLoad load, String stage, State state, String message) {
        send(load, StatusEvent.status(load.correlationId(), stage, state, message));
    }

    private void send(CubicLoad load, StatusEvent event) {
        try {
            status.accept(event);
        } catch (RuntimeException e) {
            // Status is reporting, not the ledger: a failing status transport must not stop a load.
            LOG.warn("Could not emit status for load {}: {}", load.id(), e.getMessage());
        }
    }
}
