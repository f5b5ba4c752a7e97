-- A document's pending outcomes in other runs are looked up for each document a run archives
-- (archive/raw_document: deaths while alone count as attempts) and plans (ingest/pending_sizes:
-- deaths isolate it). The pending index leads with the run: without this one, each look-up
-- scanned every pending row (6 s to plan 20,000 documents with 20,000 pending rows).
CREATE INDEX document_outcomes_pending_document_idx ON document_outcomes (raw_document_id)
    WHERE state = 'pending';
-- Deaths in earlier tries of the same run (an Airflow run cleared and run again): the run's one
-- outcome row per document keeps the tally (runs/count_earlier_tries), where the mark of a
-- chunk that died (runs/mark_chunk_started) would be overwritten by the next try's.
ALTER TABLE document_outcomes
    ADD COLUMN tries_died smallint NOT NULL DEFAULT 0,
    ADD COLUMN tries_died_alone smallint NOT NULL DEFAULT 0;
-- What an outcome row says about a process that died while the document's chunk was being
-- processed (runs/mark_chunk_started, runs/abandon_dead_runs, runs/fail_run): 'alone' when the
-- document was alone in its chunk (a failed attempt of its own), 'chunk' when in a larger one (it
-- is only set apart), NULL otherwise. A mark still pending counts once its run has ended. The one
-- reading of those details for ingest/pending_sizes, archive/raw_document, feeds/unsettled_pages
-- and runs/count_earlier_tries.
CREATE FUNCTION died_with(state text, detail text, run_status text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN state = 'pending' AND run_status <> 'running' AND detail = 'chunk started: alone'
            THEN 'alone'
        WHEN state = 'pending' AND run_status <> 'running' AND detail = 'chunk started'
            THEN 'chunk'
        WHEN state = 'abandoned' AND detail LIKE 'the run % while processing this document alone'
            THEN 'alone'
        WHEN state = 'abandoned'
             AND detail LIKE 'the run % while this document''s chunk was being processed'
            THEN 'chunk'
    END
$$;
