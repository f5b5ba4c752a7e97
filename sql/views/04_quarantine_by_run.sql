DROP VIEW IF EXISTS news.quarantine_by_run CASCADE;
CREATE VIEW news.quarantine_by_run AS
SELECT r.id AS ingest_run_id, r.dag_id, r.run_id, r.started_at, q.stage, d.locator, q.item_no,
       q.reasons, q.created_at
FROM news.quarantine q
JOIN news.raw_documents d ON d.id = q.raw_document_id
LEFT JOIN news.ingest_runs r ON r.id = q.run_id;
COMMENT ON VIEW news.quarantine_by_run IS 'Quarantined documents per run, with stage and reasons.';
