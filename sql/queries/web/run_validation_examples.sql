-- The example rows a run's great-expectations summary names for its failing expectations
-- (ingest_runs.validation -> expectations[].examples: raw document and line), as the run
-- quarantined them: where they came from, the reasons and the record.
SELECT e.raw_document_id, e.item_no, d.locator, q.reasons, q.record
FROM unnest(%(raw_ids)s::bigint[], %(item_nos)s::int[]) AS e(raw_document_id, item_no)
JOIN news.raw_documents d ON d.id = e.raw_document_id
LEFT JOIN news.quarantine q ON q.raw_document_id = e.raw_document_id AND q.item_no = e.item_no;
