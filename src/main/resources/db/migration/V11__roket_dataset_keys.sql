-- kamelet:roket-sink keeps its datasets in the same ledger as the upload command: the key column that held a
-- date (yyyy-MM-dd) now holds a dataset name as well (e.g. 'partner-feed'), so it widens. Nothing else changes.
ALTER TABLE roket_run ALTER COLUMN upload_date SET DATA TYPE VARCHAR(255);
ALTER TABLE roket_batch ALTER COLUMN upload_date SET DATA TYPE VARCHAR(255);
ALTER TABLE roket_rejected_record ALTER COLUMN upload_date SET DATA TYPE VARCHAR(255);
ALTER TABLE roket_date_lock ALTER COLUMN upload_date SET DATA TYPE VARCHAR(255);
