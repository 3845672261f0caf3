package routes.cubic;

import java.util.List;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;

/**
 * The steps the cubic-ingest route runs for one load, each bracketed by its state machine moves and a status
 * message (stage per step: CUBIC_INGEST, CUBIC_ARCHIVE, CUBIC_ERROR). A step that loses its claim does nothing.
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

    /** The loads this instance takes on in this round (see {@link LoadStateMachine#claimWork(int)}). */
    public List<CubicLoad> claimWork() {
        return states.claimWork(batchSize);
    }

    /** ingesting: writes the springboard output, then ready_for_archiving and (claimed at once) archiving. */
    public CubicLoad ingest(CubicLoad load) throws LoadRejected, java.io.IOException {
        emit(load, INGEST, State.IN_PROGRESS, "ingesting " + load.s3Key() + " (attempt " + load.attempts() + ")");
        CubicIngester.Result r = ingester.ingest(load, () -> states.renewLease(load.id(), LoadStatus.INGESTING));
        if (!states.apply(load.id(), LoadStateMachine.Transition.INGESTED,
                r.records() + " records to " + r.outputKey(), r.records(), r.outputKey())) {
            LOG.warn("Load {} was taken over by another instance while ingesting; leaving it", load.id());
            return load.withStatus(LoadStatus.INGESTING);
        }
        emit(load, INGEST, State.SUCCESS, r.records() + " records written to springboard " + r.outputKey());
        return claimNext(load.withOutput(r.records(), r.outputKey()), LoadStateMachine.Transition.CLAIM_ARCHIVE);
    }

    /** The load itself is bad: ingesting, then ready_for_erroring and (claimed at once) erroring, with the reason. */
    public CubicLoad reject(CubicLoad load, Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = e == null ? "rejected" : e.getMessage();
        LOG.warn("Load {} ({}) rejected: {}", load.id(), load.s3Key(), reason);
        if (!states.apply(load.id(), LoadStateMachine.Transition.INGEST_FAILED, reason)) {
            return load.withStatus(LoadStatus.INGESTING);
        }
        emit(load, INGEST, State.FAILED, reason);
        return claimNext(load.withError(reason), LoadStateMachine.Transition.CLAIM_ERROR);
    }

    /** A step failed for a reason outside the load (S3 or DB unreachable): the load is taken up again after its lease. */
    public void failed(CubicLoad load, Exchange exchange) {
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

    public CubicLoad archive(CubicLoad load) {
        emit(load, ARCHIVE, State.IN_PROGRESS, "archiving " + load.s3Key());
        mover.archive(load);
        if (states.apply(load.id(), LoadStateMachine.Transition.ARCHIVE_DONE, "moved to the archive bucket")) {
            emit(load, ARCHIVE, State.SUCCESS, "archived");
            finish(load, ARCHIVE, State.SUCCESS, "archived");
            return load.withStatus(LoadStatus.ARCHIVED);
        }
        return load;
    }

    public CubicLoad error(CubicLoad load) {
        emit(load, ERROR, State.IN_PROGRESS, "moving " + load.s3Key() + " to the error bucket");
        mover.error(load, states.instance());
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
