-- Issue 18: a record counts once in its dataflow, whichever stages report it.
-- One row per record (or batch, file, day: a status message's recordId) of a dataflow that reached a terminal
-- status ('D': done, whatever the outcome) and one more once it failed ('F'). The writer inserts these keys with
-- ON CONFLICT DO NOTHING and adds a key's records to records_done / records_failed only when the insert was new:
-- set-based, no per-event query. records: how many records the key covers (its first terminal message's
-- recordCount). Purged by dataflow, once the dataflow was last heard of before the retention cutoff (through
-- status_dataflow_recent and this primary key: no index of its own, so a write pays for one index only).
CREATE TABLE status_record (
    correlation_id VARCHAR(200) NOT NULL,
    record_id      VARCHAR(200) NOT NULL,
    outcome        VARCHAR(1)   NOT NULL CHECK (outcome IN ('D', 'F')),
    records        BIGINT       NOT NULL,
    counted_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (correlation_id, record_id, outcome)
);

-- Where the latest failed record failed: a FAILED dataflow shows that stage, not a later clean-up or restore.
ALTER TABLE status_dataflow ADD COLUMN record_failure_stage VARCHAR(100);
ALTER TABLE status_dataflow ADD COLUMN record_failure_ts TIMESTAMP WITH TIME ZONE;

-- Existing dataflows: their keys from the raw rows still kept, and their counts from those keys.
INSERT INTO status_record (correlation_id, record_id, outcome, records, counted_at)
    SELECT correlation_id, record_id, 'D', MAX(COALESCE(record_count, 1)), MIN(received_at) FROM status
    WHERE record_id IS NOT NULL AND status IN ('SUCCESS', 'FAILED', 'SKIPPED') GROUP BY correlation_id, record_id;
INSERT INTO status_record (correlation_id, record_id, outcome, records, counted_at)
    SELECT correlation_id, record_id, 'F', MAX(COALESCE(record_count, 1)), MIN(received_at) FROM status
    WHERE record_id IS NOT NULL AND status = 'FAILED' GROUP BY correlation_id, record_id;
UPDATE status_dataflow SET
    records_done = (SELECT SUM(r.records) FROM status_record r
        WHERE r.correlation_id = status_dataflow.correlation_id AND r.outcome = 'D'),
    records_failed = COALESCE((SELECT SUM(r.records) FROM status_record r
        WHERE r.correlation_id = status_dataflow.correlation_id AND r.outcome = 'F'), 0)
    WHERE EXISTS (SELECT 1 FROM status_record r WHERE r.correlation_id = status_dataflow.correlation_id);
