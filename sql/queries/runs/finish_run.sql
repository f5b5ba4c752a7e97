-- Counts of a run, from its document outcomes.
UPDATE news.ingest_runs r SET
    finished_at      = clock_timestamp(),  -- not now(): the transaction may be long
    -- a run whose acquisition failed stays failed; documents never processed (pending, or
    -- abandoned while the run was taken for dead) make it incomplete
    status           = CASE WHEN r.status = 'failed' THEN 'failed'
                            WHEN c.pending > 0 THEN 'incomplete' ELSE 'success' END,
    documents_seen   = c.documents_seen,
    documents_new    = c.documents_new,
    articles_stored  = c.stored,
    articles_updated = c.updated,
    duplicates       = c.duplicates,
    quarantined      = c.quarantined,
    failed           = c.failed
FROM (
    SELECT count(DISTINCT o.raw_document_id) AS documents_seen,
           count(DISTINCT o.raw_document_id) FILTER (WHERE o.state <> 'already-ingested') AS documents_new,
           count(*) FILTER (WHERE o.state = 'stored') AS stored,
           count(*) FILTER (WHERE o.state = 'updated') AS updated,
           count(*) FILTER (WHERE o.state = 'duplicate') AS duplicates,
           count(*) FILTER (WHERE o.state = 'quarantined') AS quarantined,
           count(*) FILTER (WHERE o.state = 'failed') AS failed,
           count(*) FILTER (WHERE o.state IN ('pending', 'abandoned')) AS pending
    FROM news.document_outcomes o WHERE o.run_id = %(run_id)s
) c
WHERE r.id = %(run_id)s
RETURNING r.*;
