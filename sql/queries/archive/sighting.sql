-- The run saw this file or URL, archived as this raw document (one row per name).
INSERT INTO news.document_sightings (run_id, locator, raw_document_id)
VALUES (%(run_id)s, %(locator)s, %(raw_document_id)s)
ON CONFLICT (run_id, locator) DO NOTHING;
