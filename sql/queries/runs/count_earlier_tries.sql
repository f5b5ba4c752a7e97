-- A run opened again (an Airflow run cleared: a new try of the same run, before any chunk of it
-- starts): what its earlier tries died in is tallied on the rows (tries_died, tries_died_alone)
-- and their marks cleared, so the deaths of every try count (ingest/pending_sizes,
-- archive/raw_document, feeds/unsettled_pages), not only the last try's mark.
UPDATE news.document_outcomes SET
    tries_died = tries_died + 1,
    tries_died_alone = tries_died_alone
        + CASE WHEN detail = 'chunk started: alone'
                 OR detail LIKE 'the run %% while processing this document alone' THEN 1 ELSE 0 END,
    detail = CASE WHEN state = 'pending' THEN NULL
                  ELSE 'an earlier try of this run died while processing it' END
WHERE run_id = %(run_id)s
  AND ((state = 'pending' AND detail LIKE 'chunk started%%')
       OR (state = 'abandoned'
           AND (detail LIKE 'the run %% while this document''s chunk was being processed'
                OR detail LIKE 'the run %% while processing this document alone')));
