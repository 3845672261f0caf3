-- patterns: one run of a pipe at a time across every instance on the metadata DB. A run claims its pipe's row
-- (run_owner = pid@host of the process, run_until = when the claim lapses if that process dies without releasing
-- it); another instance's timer finds the pipe claimed and lets that run be. Same script on H2 and PostgreSQL.
ALTER TABLE patterns_pipes ADD COLUMN run_owner VARCHAR(200);
ALTER TABLE patterns_pipes ADD COLUMN run_until TIMESTAMP WITH TIME ZONE;
