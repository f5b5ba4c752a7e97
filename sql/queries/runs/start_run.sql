-- One ingest_runs row per Airflow run; a retried task finds the same row.
INSERT INTO news.ingest_runs (dag_id, run_id, logical_date, interval_start, interval_end)
VALUES (%(dag_id)s, %(run_id)s, %(logical_date)s, %(interval_start)s, %(interval_end)s)
ON CONFLICT (dag_id, run_id) DO UPDATE SET status = 'running', heartbeat_at = clock_timestamp(),
    status_detail = NULL, finished_at = NULL
RETURNING id;
