-- replay: each day is produced in one Kafka transaction. The ledger records where that transaction stands, so a
-- failed day whose abort never reached the broker is fenced (aborted) by the next replay.
ALTER TABLE replay_days ADD COLUMN kafka_txn VARCHAR(16) CHECK (kafka_txn IN ('open', 'committed', 'aborted'));
