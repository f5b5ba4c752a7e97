-- The run is alive (a unit of its work just ended).
UPDATE news.ingest_runs SET heartbeat_at = clock_timestamp() WHERE id = %(run_id)s;
