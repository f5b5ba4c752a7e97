-- A run closed as abandoned while its work was still queued (its chunks waited longer than
-- NEWSFLOW_RUN_ABANDON_AFTER) is alive again when one of its chunks starts: the chunk's
-- documents it left 'abandoned' are pending again, unless a later run has taken them up since
-- (feeds/unsettled_pages, a scan of the inbox). The run's row: see runs/resume_run.
UPDATE news.document_outcomes o SET state = 'pending', detail = NULL
WHERE o.run_id = %(run_id)s AND o.state = 'abandoned'
  AND o.raw_document_id BETWEEN %(first_id)s AND %(last_id)s
  AND NOT EXISTS (SELECT 1 FROM news.document_outcomes x
                  WHERE x.raw_document_id = o.raw_document_id AND x.run_id > o.run_id);
