SELECT id, dag_id, status, started_at, documents_seen, articles_stored, articles_updated,
       duplicates, quarantined, failed
FROM news.ingest_runs ORDER BY id DESC LIMIT %(limit)s;
