-- Example rows for each failing expectation of one run: documents the run quarantined at
-- the validate stage whose reasons start with the expectation's column (index
-- quarantine_run_idx). Until runs keep their full great-expectations result, the quarantine
-- is where the failing rows are.
SELECT p.prefix, x.id, x.locator, x.item_no, x.reasons, x.record
FROM unnest(%(prefixes)s::text[]) AS p(prefix)
CROSS JOIN LATERAL (
    SELECT q.id, d.locator, q.item_no, q.reasons, q.record
    FROM news.quarantine q
    JOIN news.raw_documents d ON d.id = q.raw_document_id
    WHERE q.run_id = %(ingest_run_id)s AND q.stage = 'validate'
      AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(q.reasons) AS t(reason)
                  WHERE t.reason LIKE p.prefix || ' %%')
    ORDER BY q.id
    LIMIT %(per_expectation)s
) x
ORDER BY p.prefix, x.id;
