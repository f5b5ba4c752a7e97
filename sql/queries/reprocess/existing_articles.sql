-- The stored articles of the documents being re-extracted, by (raw document, item).
SELECT id, raw_document_id, item_no, content_hash, extractor_version, text
FROM news.articles WHERE raw_document_id = ANY(%(ids)s);
