package routes.cubic;

import java.time.Instant;

/**
 * One load as the ledger holds it, with its table. {@code snapshot} is the ODS snapshot current when the load
 * was discovered (null for DMAP and Kafka loads).
 */
public record CubicLoad(long id, long tableId, String tableName, String tablePrefix, String tableColumns,
                        LoadStatus status, String s3Key, Instant s3Modified, long s3Size, Instant snapshot,
                        int attempts, String errorReason, Long recordCount, String outputKey) {

    /** The dataflow id of a load in status messages and logs. */
    public String correlationId() {
        return "cubic-load-" + id;
    }

    /** The object's file name (last path segment). */
    public String fileName() {
        return s3Key.substring(s3Key.lastIndexOf('/') + 1);
    }

    public CubicLoad withStatus(LoadStatus s) {
        return new CubicLoad(id, tableId, tableName, tablePrefix, tableColumns, s, s3Key, s3Modified, s3Size, snapshot,
                attempts, errorReason, recordCount, outputKey);
    }

    public CubicLoad withError(String reason) {
        return new CubicLoad(id, tableId, tableName, tablePrefix, tableColumns, status, s3Key, s3Modified, s3Size,
                snapshot, attempts, reason, recordCount, outputKey);
    }

    public CubicLoad withOutput(long records, String key) {
        return new CubicLoad(id, tableId, tableName, tablePrefix, tableColumns, status, s3Key, s3Modified, s3Size,
                snapshot, attempts, errorReason, records, key);
    }
}
