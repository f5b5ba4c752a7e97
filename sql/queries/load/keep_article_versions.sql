-- Before an article is overwritten by a new version, keep the version it had.
INSERT INTO news.article_versions
    (article_id, version, raw_document_id, title, text, content_hash, extractor_version)
SELECT a.id, a.version, a.raw_document_id, a.title, a.text, a.content_hash, a.extractor_version
FROM news.articles a
JOIN stage_articles s ON s.id = a.id
ON CONFLICT (article_id, version) DO NOTHING;
