-- What the run's acquisition saw and skipped (counts).
UPDATE news.ingest_runs SET acquisition = %(acquisition)s, heartbeat_at = clock_timestamp()
WHERE id = %(run_id)s;
