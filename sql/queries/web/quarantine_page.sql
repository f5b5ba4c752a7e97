-- One keyset page of the quarantine, newest first (primary key); cursor: the last id shown.
SELECT q.id, q.stage, q.reasons, q.record, q.item_no, q.created_at,
       coalesce(seen.locator, d.locator) AS locator, d.url,
       r.id AS ingest_run_id, r.dag_id, r.run_id, r.started_at
FROM news.quarantine q
JOIN news.raw_documents d ON d.id = q.raw_document_id
LEFT JOIN news.ingest_runs r ON r.id = q.run_id
-- the name the quarantining run saw, as news.quarantine_by_run shows it
LEFT JOIN LATERAL (
    SELECT min(s.locator) AS locator FROM news.document_sightings s
    WHERE s.run_id = q.run_id AND s.raw_document_id = q.raw_document_id
) seen ON true
WHERE q.id < %(cursor_id)s::bigint
ORDER BY q.id DESC
LIMIT %(limit)s;
