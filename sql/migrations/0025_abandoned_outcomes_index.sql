-- Documents a dead run left unprocessed ('abandoned', see runs/abandon_dead_runs) are looked up
-- by each feeds run that takes them up again (feeds/unsettled_pages), as failed ones are
-- (document_outcomes_failed_idx): both sets stay small next to the whole table.
CREATE INDEX document_outcomes_abandoned_idx ON document_outcomes (raw_document_id)
    WHERE state = 'abandoned';
-- ... and for each of them, its other outcomes (the last run's, one pending elsewhere, a later
-- run's: feeds/unsettled_pages, runs/resume_documents): by document, not by run as the key.
CREATE INDEX document_outcomes_document_idx ON document_outcomes (raw_document_id, run_id);
