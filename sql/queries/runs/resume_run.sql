-- The run's row when its own work goes on after it was closed as abandoned: running again,
-- saying so (runs/resume_documents gives back its documents).
UPDATE news.ingest_runs SET status = 'running', finished_at = NULL,
    heartbeat_at = clock_timestamp(),
    status_detail = status_detail || format('; resumed at %%s: its work went on',
        to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
WHERE id = %(run_id)s AND status = 'abandoned';
