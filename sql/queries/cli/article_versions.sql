SELECT version, extractor_version, superseded_at FROM news.article_versions
WHERE article_id = %(id)s ORDER BY version;
