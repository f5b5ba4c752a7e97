-- A run whose acquisition (or CLI run) raised: closed as failed with the error; what it had
-- committed stays, and finish_run keeps the status (a later report does not call it success).
UPDATE news.ingest_runs SET status = 'failed', finished_at = clock_timestamp(),
    status_detail = %(detail)s
WHERE id = %(run_id)s;
