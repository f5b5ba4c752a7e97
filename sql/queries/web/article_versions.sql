-- An article's earlier versions (primary key (article_id, version)), newest first.
SELECT v.version, v.title, v.extractor_version, v.superseded_at, v.content_hash,
       length(v.text) AS text_chars, d.locator
FROM news.article_versions v
JOIN news.raw_documents d ON d.id = v.raw_document_id
WHERE v.article_id = %(article_id)s
ORDER BY v.version DESC
LIMIT %(limit)s;
