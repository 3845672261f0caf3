-- The status store (ADR "Producing Status Messages"). Raw messages go to dataset_details and status; the
-- summary tables (status_dataflow, status_stage, status_counter) are kept up to date in the same transaction
-- so that "where does this dataflow stand?" never scans the raw rows. Retention purges raw status rows only.

-- One row per dataflow: its derived state, kept current by every write. Writers lock this row first, so
-- concurrent writers of one dataflow (several instances, direct transport) are serialised.
CREATE TABLE status_dataflow (
    correlation_id       VARCHAR(200)  NOT NULL PRIMARY KEY,
    state                VARCHAR(16)   NOT NULL,
    finished             BOOLEAN       NOT NULL,
    stage                VARCHAR(100),
    record_count         BIGINT,
    records_done         BIGINT        NOT NULL,
    records_failed       BIGINT        NOT NULL,
    last_failure_stage   VARCHAR(100),
    last_failure_message VARCHAR(2000),
    last_failure_code    INTEGER,
    first_ts             TIMESTAMP WITH TIME ZONE,
    last_ts              TIMESTAMP WITH TIME ZONE,
    updated_at           TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX status_dataflow_recent ON status_dataflow (last_ts, correlation_id);
CREATE INDEX status_dataflow_state ON status_dataflow (state, last_ts);

-- dataSetDetails messages: what a dataflow carries. The latest message per dataset version wins.
CREATE TABLE dataset_details (
    correlation_id      VARCHAR(200) NOT NULL,
    data_set_id         VARCHAR(200) NOT NULL,
    data_set_version_id VARCHAR(100) NOT NULL,
    data_set_type       VARCHAR(16),
    record_count        BIGINT,
    event_id            VARCHAR(100) NOT NULL,
    event_ts            TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (correlation_id, data_set_id, data_set_version_id)
);
CREATE INDEX dataset_details_dataset ON dataset_details (data_set_id);

-- status messages, one row per event (the event id makes a redelivered message a no-op).
CREATE TABLE status (
    event_id          VARCHAR(100)  NOT NULL PRIMARY KEY,
    correlation_id    VARCHAR(200)  NOT NULL,
    record_id         VARCHAR(200),
    record_id_version VARCHAR(100),
    stage             VARCHAR(100)  NOT NULL,
    status            VARCHAR(16)   NOT NULL,
    message           VARCHAR(2000),
    error_code        INTEGER,
    event_ts          TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
-- Failures of a dataflow, in time order, page by page.
CREATE INDEX status_by_flow ON status (correlation_id, status, event_ts, event_id);
-- Retention purge.
CREATE INDEX status_received ON status (received_at);

-- Per dataflow and stage: when it was first and last heard of, and its run-level status. Terminal statuses
-- (SUCCESS, FAILED, SKIPPED) win over IN_PROGRESS whatever order they arrive in; among terminal ones the
-- latest by event timestamp wins.
CREATE TABLE status_stage (
    correlation_id VARCHAR(200) NOT NULL,
    stage          VARCHAR(100) NOT NULL,
    first_ts       TIMESTAMP WITH TIME ZONE NOT NULL,
    last_ts        TIMESTAMP WITH TIME ZONE NOT NULL,
    run_status     VARCHAR(16),
    run_ts         TIMESTAMP WITH TIME ZONE,
    run_message    VARCHAR(2000),
    run_error_code INTEGER,
    PRIMARY KEY (correlation_id, stage)
);

-- Record-level status messages counted per dataflow, stage and status. Never purged.
CREATE TABLE status_counter (
    correlation_id VARCHAR(200) NOT NULL,
    stage          VARCHAR(100) NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    n              BIGINT       NOT NULL,
    PRIMARY KEY (correlation_id, stage, status)
);
