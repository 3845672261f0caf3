package routes.common.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * A status message of the ADR "Producing Status Messages", field for field: {@code dataSetDetails} (what a
 * dataflow carries) or {@code status} (how a stage is doing, for one record or, without recordId, for the
 * whole stage). Every event carries a unique {@code eventId} so a redelivered event is never counted twice.
 * Pipelines emit them through {@code direct:status-emit} (see {@link StatusEmitter}), never as hand-built JSON.
 * <p>
 * A record-level status may carry {@code recordCount}: how many records it covers (a batch of 100 rows, a replay
 * day of 80,000 lines); absent means 1. The status store counts records done and failed from it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StatusEvent(String kind, Props properties) {

    public static final String DATASET_DETAILS = "dataSetDetails";
    public static final String STATUS = "status";

    /** Status values. */
    public enum State { IN_PROGRESS, SUCCESS, FAILED, SKIPPED }

    /** Dataset types. */
    public enum DataSetType { FILE, TABLE, STREAM }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Props(
            String eventId,
            String correlationId,
            String dataSetId,
            String dataSetVersionId,
            String dataSetType,
            Long recordCount,
            String recordId,
            String recordIdVersion,
            String stage,
            String status,
            String message,
            Integer errorCode,
            Instant timestamp) {
    }

    public static StatusEvent dataSetDetails(String correlationId, String dataSetId, String dataSetVersionId,
                                             DataSetType type, long recordCount) {
        return new StatusEvent(DATASET_DETAILS, new Props(newId(), correlationId, dataSetId, dataSetVersionId,
                type.name(), recordCount, null, null, null, null, null, null, Instant.now()));
    }

    /** A run-level status (no recordId): how a whole stage of the dataflow is doing. */
    public static StatusEvent status(String correlationId, String stage, State state, String message) {
        return new StatusEvent(STATUS, new Props(newId(), correlationId, null, null, null, null, null, null,
                stage, state.name(), message, null, Instant.now()));
    }

    /**
     * A stage that has done its part for now and waits for input ({@code what}: e.g. more records of a topic, a
     * file not published yet): a run-level IN_PROGRESS whose message starts with {@value #WAITING_FOR}. The dataflow
     * stays unfinished, and the API says {@code waiting: true} with {@code waitingFor}, not that it is running.
     */
    public static StatusEvent waiting(String correlationId, String stage, String what) {
        return status(correlationId, stage, State.IN_PROGRESS, WAITING_FOR + what);
    }

    public static final String WAITING_FOR = "waiting for ";

    /** A record-level status. */
    public static StatusEvent recordStatus(String correlationId, String recordId, String recordIdVersion, String stage,
                                           State state, String message, Integer errorCode) {
        return new StatusEvent(STATUS, new Props(newId(), correlationId, null, null, null, null, recordId,
                recordIdVersion, stage, state.name(), message, errorCode, Instant.now()));
    }

    /**
     * A record-level status that covers {@code recordCount} records (a batch, a file, a day): the store counts that
     * many records done or failed. {@code recordId} names the unit (e.g. {@code batch/17}).
     */
    public static StatusEvent recordsStatus(String correlationId, String recordId, String recordIdVersion, String stage,
                                            State state, String message, Integer errorCode, long recordCount) {
        return recordStatus(correlationId, recordId, recordIdVersion, stage, state, message, errorCode)
                .withRecordCount(recordCount);
    }

    /** The same event covering {@code n} records (status events only; dataSetDetails carry their own count). */
    public StatusEvent withRecordCount(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("recordCount must be >= 0, was " + n);
        }
        Props p = properties;
        return new StatusEvent(kind, new Props(p.eventId(), p.correlationId(), p.dataSetId(), p.dataSetVersionId(),
                p.dataSetType(), n, p.recordId(), p.recordIdVersion(), p.stage(), p.status(), p.message(),
                p.errorCode(), p.timestamp()));
    }

    /** How many records a record-level status covers: its recordCount, 1 when absent. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public long records() {
        Long n = properties.recordCount();
        return n == null ? 1 : n;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isRunLevel() {
        return STATUS.equals(kind) && properties.recordId() == null;
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }
}
