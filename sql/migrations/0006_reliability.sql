-- Reliability: locks the read-only role cannot take, runs that die are marked abandoned,
-- the archive records its compression codec per row, and a quarantine stage for deciding.

-- The pipeline's locks are row locks on pipeline_locks (created with the migration runner's
-- own tables, since migrating takes one): SELECT ... FOR UPDATE needs UPDATE privilege, which
-- newsflow_reader does not have, unlike the advisory locks used before, which anybody can take.
INSERT INTO pipeline_locks (name, description) VALUES
    ('load', 'duplicate decisions and loading of a batch'),
    ('events', 'event clustering')
ON CONFLICT (name) DO NOTHING;

-- A run that dies (kill -9, a lost worker) stays 'running' until a later run marks it
-- 'abandoned' (with when and why); its unfinished outcomes become 'abandoned' too.
ALTER TABLE ingest_runs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE ingest_runs ADD COLUMN status_detail text;
ALTER TABLE ingest_runs ADD COLUMN acquisition jsonb;  -- what acquisition saw and skipped
UPDATE ingest_runs SET heartbeat_at = coalesce(finished_at, started_at);
ALTER TABLE ingest_runs ALTER COLUMN heartbeat_at SET DEFAULT now();
COMMENT ON COLUMN ingest_runs.heartbeat_at IS 'Last sign of life of the run (each unit of work).';

ALTER TABLE document_outcomes DROP CONSTRAINT document_outcomes_state_check;
ALTER TABLE document_outcomes ADD CONSTRAINT document_outcomes_state_check CHECK (state IN
    ('pending', 'stored', 'updated', 'duplicate', 'quarantined', 'failed', 'already-ingested',
     'abandoned'));
CREATE INDEX document_outcomes_pending_idx ON document_outcomes (run_id, raw_document_id)
    WHERE state = 'pending';
CREATE INDEX document_outcomes_failed_idx ON document_outcomes (raw_document_id)
    WHERE state = 'failed';

ALTER TABLE quarantine DROP CONSTRAINT quarantine_stage_check;
ALTER TABLE quarantine ADD CONSTRAINT quarantine_stage_check CHECK (stage IN
    ('acquire', 'decode', 'extract', 'validate', 'dedupe', 'load'));

-- Archive bodies: 'zlib' (rows written before this migration) or 'zstd'.
ALTER TABLE raw_documents ADD COLUMN codec text NOT NULL DEFAULT 'zlib'
    CHECK (codec IN ('zlib', 'zstd'));
ALTER TABLE raw_documents ALTER COLUMN codec SET DEFAULT 'zstd';
