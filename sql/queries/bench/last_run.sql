-- The latest ingest run's outcome and duration (the run `airflow dags test news_files` made).
SELECT documents_seen, articles_stored, duplicates, quarantined, failed,
       extract(epoch FROM finished_at - started_at) AS seconds
FROM news.ingest_runs
ORDER BY id DESC
LIMIT 1;
