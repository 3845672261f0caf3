-- replay ledger: a run, its days, and every downstream blob and Druid segment a day touched. Each step is
-- written here BEFORE it is done, so an interrupted day can be finished or restored from these rows alone.

CREATE TABLE replay_runs (
    id            VARCHAR(64)   NOT NULL PRIMARY KEY,
    status        VARCHAR(16)   NOT NULL,          -- PENDING, RUNNING, SUCCEEDED, FAILED
    params        TEXT          NOT NULL,          -- the run's parameters as JSON (what --resume re-runs)
    dry_run       BOOLEAN       NOT NULL DEFAULT FALSE,
    owner         VARCHAR(64),                     -- instance working on it
    heartbeat_at  TIMESTAMP,                       -- refreshed while it runs; stale = resumable
    created_at    TIMESTAMP     NOT NULL,
    finished_at   TIMESTAMP,
    error         TEXT
);

CREATE TABLE replay_days (
    run_id          VARCHAR(64)  NOT NULL,
    replay_day      VARCHAR(10)  NOT NULL,          -- yyyy-MM-dd (DAY is an SQL keyword)
    status          VARCHAR(16)  NOT NULL,          -- PENDING, PREFLIGHT, BACKUP, REPLAY, CLEANUP, RESTORE, SUCCEEDED, FAILED
    failed_stage    VARCHAR(16),
    records         BIGINT       NOT NULL DEFAULT 0, -- records acknowledged by Kafka
    bad_records     BIGINT       NOT NULL DEFAULT 0, -- malformed lines sent to the dead-letter blob
    source_files    INT          NOT NULL DEFAULT 0,
    segments_removed INT         NOT NULL DEFAULT 0,
    start_offsets   TEXT,                           -- topic end offsets before the day's first record (partition:offset,...)
    started_at      TIMESTAMP,
    finished_at     TIMESTAMP,
    duration_ms     BIGINT,
    error           TEXT,
    PRIMARY KEY (run_id, replay_day)
);

CREATE TABLE replay_blob_backups (
    run_id        VARCHAR(64)   NOT NULL,
    replay_day    VARCHAR(10)   NOT NULL,
    source_prefix VARCHAR(255)  NOT NULL,           -- the dependent sink source (azure prefix)
    blob_name     VARCHAR(1024) NOT NULL,
    backup_name   VARCHAR(1024) NOT NULL,
    size_bytes    BIGINT        NOT NULL,
    etag          VARCHAR(255),
    content_md5   VARCHAR(64),
    state         VARCHAR(16)   NOT NULL,           -- PLANNED, COPIED, DELETED, RESTORED, CLEANED, KEPT
    PRIMARY KEY (run_id, blob_name)
);

CREATE TABLE replay_druid_segments (
    run_id      VARCHAR(64)   NOT NULL,
    replay_day  VARCHAR(10)   NOT NULL,
    datasource  VARCHAR(255)  NOT NULL,
    segment_id  VARCHAR(1024) NOT NULL,
    state       VARCHAR(16)   NOT NULL,             -- RECORDED, UNUSED
    PRIMARY KEY (run_id, datasource, segment_id)
);

CREATE INDEX replay_days_status ON replay_days (status);
CREATE INDEX replay_runs_status ON replay_runs (status);
