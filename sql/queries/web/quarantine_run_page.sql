-- One keyset page of one run's quarantine, newest first (index quarantine_run_idx).
SELECT q.id, q.stage, q.reasons, q.record, q.item_no, q.created_at, d.locator, d.url,
       r.id AS ingest_run_id, r.dag_id, r.run_id, r.started_at
FROM news.quarantine q
JOIN news.raw_documents d ON d.id = q.raw_document_id
LEFT JOIN news.ingest_runs r ON r.id = q.run_id
WHERE q.run_id = %(ingest_run_id)s AND q.id < %(cursor_id)s::bigint
ORDER BY q.id DESC
LIMIT %(limit)s;
