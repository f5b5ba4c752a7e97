-- A run whose acquisition (or CLI run) raised: closed as failed with the error; what it had
-- committed stays, and finish_run keeps the status (a later report does not call it success).
-- Its documents still pending are released as a dead run's are (runs/abandon_dead_runs): a
-- later run that sees them processes them (feeds/unsettled_pages, a scan of the inbox).
WITH failed AS (
    UPDATE news.ingest_runs SET status = 'failed', finished_at = clock_timestamp(),
        status_detail = %(detail)s
    WHERE id = %(run_id)s
    RETURNING id
)
UPDATE news.document_outcomes o SET state = 'abandoned',
    detail = CASE o.detail
        WHEN 'chunk started: alone' THEN 'the run failed while processing this document alone'
        WHEN 'chunk started' THEN 'the run failed while this document''s chunk was being processed'
        ELSE 'the run failed before this document was processed' END
FROM failed WHERE o.run_id = failed.id AND o.state = 'pending';
