-- A run opened again (an Airflow run cleared: a new try of the same run, before any chunk of it
-- starts): what its earlier tries died in (news.died_with; the run counts as ended for them) is
-- tallied on the rows (tries_died, tries_died_alone) and their marks cleared, so the deaths of
-- every try count (ingest/pending_sizes, archive/raw_document, feeds/unsettled_pages), not only
-- the last try's mark.
UPDATE news.document_outcomes SET
    tries_died = tries_died + 1,
    tries_died_alone = tries_died_alone
        + (news.died_with(state, detail, 'ended') = 'alone')::int,
    detail = CASE WHEN state = 'pending' THEN NULL
                  ELSE 'an earlier try of this run died while processing it' END
WHERE run_id = %(run_id)s AND news.died_with(state, detail, 'ended') IS NOT NULL;
