-- The run saw this file or URL (a sighting, one row per name) and the document's state in
-- the run (item 0); no state row when the run already holds these bytes under another name.
-- A row left 'abandoned' by a run that died, or 'failed' (out of memory: "retried"), is taken up
-- again when that run is retried (an Airflow run cleared): it stayed failed, and the run
-- reported its bytes as 'same-bytes'.
WITH sighting AS (
    INSERT INTO news.document_sightings (run_id, locator, raw_document_id)
    VALUES (%(run_id)s, %(locator)s, %(raw_document_id)s)
    ON CONFLICT (run_id, locator) DO NOTHING
)
INSERT INTO news.document_outcomes AS o (run_id, raw_document_id, item_no, state, detail)
VALUES (%(run_id)s, %(raw_document_id)s, 0, %(state)s, %(detail)s)
ON CONFLICT (run_id, raw_document_id, item_no) DO UPDATE
    SET state = EXCLUDED.state, detail = EXCLUDED.detail
    -- (still pending from an earlier try of the run: settled now only when no longer to process)
    WHERE o.state IN ('abandoned', 'failed')
       OR (o.state = 'pending' AND EXCLUDED.state <> 'pending')
RETURNING state;
