-- A document's pending outcomes in other runs are looked up for each document a run archives
-- (archive/raw_document: deaths while alone count as attempts) and plans (ingest/pending_sizes:
-- deaths isolate it). The pending index leads with the run: without this one, each look-up
-- scanned every pending row (6 s to plan 20,000 documents with 20,000 pending rows).
CREATE INDEX document_outcomes_pending_document_idx ON document_outcomes (raw_document_id)
    WHERE state = 'pending';
