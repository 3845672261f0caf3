package routes.common.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * A status message of the ADR "Producing Status Messages", field for field: {@code dataSetDetails} (what a
 * dataflow carries) or {@code status} (how a stage is doing, for one record or, without recordId, for the
 * whole stage). Every event carries a unique {@code eventId} so a redelivered event is never counted twice.
 * Pipelines emit them through {@code direct:status-emit} (see {@link StatusEmitter}), never as hand-built JSON.
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

    /** A record-level status. */
    public static StatusEvent recordStatus(String correlationId, String recordId, String recordIdVersion, String stage,
                                           State state, String message, Integer errorCode) {
        return new StatusEvent(STATUS, new Props(newId(), correlationId, null, null, null, null, recordId,
                recordIdVersion, stage, state.name(), message, errorCode, Instant.now()));
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isRunLevel() {
        return STATUS.equals(kind) && properties.recordId() == null;
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }
}
