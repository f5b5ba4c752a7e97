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
