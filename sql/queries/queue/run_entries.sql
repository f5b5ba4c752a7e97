-- The queue entries a run saw (its sightings under redis://<stream>/), each with whether its
-- raw document reached a final state (article, duplicate, quarantine) in any run: those are
-- acknowledged on the stream, the others stay pending and are delivered again.
SELECT s.locator,
       s.raw_document_id,
       EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = s.raw_document_id)
    OR EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = s.raw_document_id)
    OR EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = s.raw_document_id)
    OR EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = s.raw_document_id)
       AS settled
FROM news.document_sightings s
WHERE s.run_id = %(run_id)s AND starts_with(s.locator, %(prefix)s)
ORDER BY s.locator;
