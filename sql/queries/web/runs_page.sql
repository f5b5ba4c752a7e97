-- One keyset page of ingest runs, newest first (primary key); cursor: the last id shown.
SELECT r.id, r.dag_id, r.run_id, r.logical_date, r.interval_start, r.interval_end,
       r.started_at, r.finished_at, r.status, r.documents_seen, r.documents_new,
       r.articles_stored, r.articles_updated, r.duplicates, r.quarantined, r.failed,
       r.validation
FROM news.ingest_runs r
WHERE r.id < %(cursor_id)s::bigint
ORDER BY r.id DESC
LIMIT %(limit)s;
