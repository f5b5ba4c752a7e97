-- Documents a dead run left unprocessed ('abandoned', see runs/abandon_dead_runs) are looked up
-- by each feeds run that takes them up again (feeds/unsettled_pages), as failed ones are
-- (document_outcomes_failed_idx): both sets stay small next to the whole table.
CREATE INDEX document_outcomes_abandoned_idx ON document_outcomes (raw_document_id)
    WHERE state = 'abandoned';
