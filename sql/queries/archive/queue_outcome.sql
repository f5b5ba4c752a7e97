-- The document's state in the run (item 0); no row when the run already holds these bytes.
INSERT INTO news.document_outcomes (run_id, raw_document_id, item_no, state, detail)
VALUES (%(run_id)s, %(raw_document_id)s, 0, %(state)s, %(detail)s)
ON CONFLICT (run_id, raw_document_id, item_no) DO NOTHING
RETURNING state;
