DROP VIEW IF EXISTS news.quarantine_by_run CASCADE;
CREATE VIEW news.quarantine_by_run AS
-- The locator is the name the quarantining run saw (its sighting): the archive keeps one name
-- per bytes, the earliest, which may be one that run never saw.
SELECT r.id AS ingest_run_id, r.dag_id, r.run_id, r.started_at, q.stage,
       coalesce(seen.locator, d.locator) AS locator, q.item_no, q.reasons, q.created_at
FROM news.quarantine q
JOIN news.raw_documents d ON d.id = q.raw_document_id
LEFT JOIN news.ingest_runs r ON r.id = q.run_id
LEFT JOIN LATERAL (
    SELECT min(s.locator) AS locator
    FROM news.document_sightings s
    WHERE s.run_id = q.run_id AND s.raw_document_id = q.raw_document_id
) seen ON true;
COMMENT ON VIEW news.quarantine_by_run IS 'Quarantined documents per run, with stage and reasons.';
