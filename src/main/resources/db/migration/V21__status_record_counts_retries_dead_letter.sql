-- Issue 11/12/13 on the status store.
-- 1. A status message may cover several records (recordCount: a batch of rows, a replay day); NULL means 1.
ALTER TABLE status ADD COLUMN record_count BIGINT;

-- 2. A retried dataflow: the time of its latest run-level FAILED verdict, and how many records failed after it.
--    A later run-level SUCCESS supersedes that failure (see DataflowRules); records failing after it still count.
ALTER TABLE status_dataflow ADD COLUMN run_failed_ts TIMESTAMP WITH TIME ZONE;
ALTER TABLE status_dataflow ADD COLUMN records_failed_since BIGINT DEFAULT 0 NOT NULL;
UPDATE status_dataflow SET run_failed_ts = (SELECT MAX(s.run_ts) FROM status_stage s
    WHERE s.correlation_id = status_dataflow.correlation_id AND s.run_status = 'FAILED');

-- 3. Status events the transport could not deliver (store failing, Kafka unreachable, a job ending), kept here
--    instead of being lost; the status-dead-letter-replay route stores them once the store works again.
CREATE TABLE status_dead_letter (
    event_id       VARCHAR(100)   NOT NULL PRIMARY KEY,
    correlation_id VARCHAR(200)   NOT NULL,
    event_json     VARCHAR(20000) NOT NULL,
    transport      VARCHAR(16)    NOT NULL CHECK (transport IN ('direct', 'kafka', 'log')),
    reason         VARCHAR(2000),
    kept_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    attempts       INTEGER        DEFAULT 0 NOT NULL,
    last_error     VARCHAR(2000)
);
CREATE INDEX status_dead_letter_kept ON status_dead_letter (kept_at, event_id);
