-- The reprocess run saw these archived documents (under their archived names).
INSERT INTO news.document_sightings (run_id, locator, raw_document_id)
SELECT %(run_id)s, r.locator, r.id FROM news.raw_documents r WHERE r.id = ANY(%(ids)s)
ON CONFLICT DO NOTHING;
