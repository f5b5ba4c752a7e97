-- What the inbox held when a run last archived it: each file's name, size and modification
-- time, and the raw document its bytes became. A run that takes only new arrivals (a
-- streaming run, started by the inbox watcher) skips a file that is unchanged since then and
-- whose document is settled, instead of reading and hashing the whole inbox again.
-- Scheduled, backfill and manual runs still read every file of their interval.
CREATE TABLE inbox_files (
    locator          text PRIMARY KEY,
    size_bytes       bigint NOT NULL,
    mtime_ns         bigint NOT NULL,
    raw_document_id  bigint NOT NULL REFERENCES raw_documents(id),
    run_id           bigint REFERENCES ingest_runs(id) ON DELETE SET NULL,
    archived_at      timestamptz NOT NULL DEFAULT now()
);
