-- roket-upload ledger. A record is identified by (upload date, id-column value).
-- Delivered records live in Camel's idempotent repository table CAMEL_MESSAGEPROCESSED (V1) with
-- processorName = 'roket-upload/<date>' and messageId = the record id: its primary key is the guard that a
-- record is written down as delivered at most once per date, and one date's ids are one index range.

-- One row per run (command, schedule or API): what it did, in the summary's terms.
CREATE TABLE roket_run (
    run_id              VARCHAR(64)   NOT NULL PRIMARY KEY,
    upload_date         VARCHAR(10)   NOT NULL,
    trigger_name        VARCHAR(16)   NOT NULL,
    state               VARCHAR(16)   NOT NULL, -- RUNNING, SUCCEEDED, FAILED
    rows_read           BIGINT        NOT NULL DEFAULT 0,
    skipped             BIGINT        NOT NULL DEFAULT 0,
    sent                BIGINT        NOT NULL DEFAULT 0,
    delivered           BIGINT        NOT NULL DEFAULT 0,
    batches             BIGINT        NOT NULL DEFAULT 0,
    retries             BIGINT        NOT NULL DEFAULT 0,
    rejected            BIGINT        NOT NULL DEFAULT 0,
    uncertain           BIGINT        NOT NULL DEFAULT 0,
    held                BIGINT        NOT NULL DEFAULT 0,
    possible_duplicates BIGINT        NOT NULL DEFAULT 0,
    message             VARCHAR(2000),
    started_at          TIMESTAMP     NOT NULL,
    finished_at         TIMESTAMP
);
CREATE INDEX roket_run_date ON roket_run (upload_date, started_at);

-- One row per request body flowledger built: written SENDING before the request leaves, then exactly one
-- transition to DELIVERED (2xx), REJECTED (4xx, one record), SPLIT (4xx, narrowed down into two child batches),
-- FAILED (retries used up, every answer said "not stored") or UNCERTAIN (no answer, or in flight at a crash).
CREATE TABLE roket_batch (
    batch_id         VARCHAR(64)   NOT NULL PRIMARY KEY,
    run_id           VARCHAR(64)   NOT NULL,
    upload_date      VARCHAR(10)   NOT NULL,
    parent_batch_id  VARCHAR(64),
    state            VARCHAR(16)   NOT NULL,
    record_count     INT           NOT NULL,
    record_ids       TEXT          NOT NULL, -- JSON array of the ids, in request order
    attempts         INT           NOT NULL DEFAULT 0,
    http_status      INT,
    response_excerpt VARCHAR(1000),
    -- For UNCERTAIN batches: null while open, RESENT once a later run delivered its records again
    -- (on-uncertain=resend), RELEASED when a person released it (upload --release-held).
    resolution       VARCHAR(16),
    created_at       TIMESTAMP     NOT NULL,
    updated_at       TIMESTAMP     NOT NULL
);
CREATE INDEX roket_batch_date_state ON roket_batch (upload_date, state);
CREATE INDEX roket_batch_run ON roket_batch (run_id);

-- Records Roket refused on their own (isolated by narrowing a rejected batch down), with Roket's answer.
CREATE TABLE roket_rejected_record (
    upload_date      VARCHAR(10)   NOT NULL,
    record_id        VARCHAR(255)  NOT NULL,
    run_id           VARCHAR(64)   NOT NULL,
    batch_id         VARCHAR(64)   NOT NULL,
    http_status      INT           NOT NULL,
    response_excerpt VARCHAR(1000),
    rejected_at      TIMESTAMP     NOT NULL,
    PRIMARY KEY (upload_date, record_id, run_id)
);

-- At most one run per date, across instances: claimed by INSERT (the primary key refuses a second one),
-- kept alive by a heartbeat, taken over only when its heartbeat is older than flowledger.roket.lock-timeout
-- (the owner died), released by DELETE.
CREATE TABLE roket_date_lock (
    upload_date  VARCHAR(10)  NOT NULL PRIMARY KEY,
    run_id       VARCHAR(64)  NOT NULL,
    owner        VARCHAR(255) NOT NULL,
    claimed_at   TIMESTAMP    NOT NULL,
    heartbeat_at TIMESTAMP    NOT NULL
);
