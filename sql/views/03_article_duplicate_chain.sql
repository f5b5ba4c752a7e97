DROP VIEW IF EXISTS news.article_duplicate_chain CASCADE;
CREATE VIEW news.article_duplicate_chain AS
SELECT a.id AS article_id, a.title, a.canonical_url, a.published_at, s.name AS source,
       count(d.id) AS duplicate_count,
       coalesce(jsonb_agg(jsonb_build_object(
           'duplicate_id', d.id, 'method', d.method, 'score', round(d.score::numeric, 3),
           'threshold', d.threshold, 'title', d.title, 'url', d.canonical_url,
           'published_at', d.published_at, 'source', ds.name, 'locator', r.locator,
           'detected_at', d.detected_at)
         ORDER BY d.id) FILTER (WHERE d.id IS NOT NULL), '[]') AS duplicates
FROM news.articles a
LEFT JOIN news.sources s ON s.id = a.source_id
LEFT JOIN news.article_duplicates d ON d.duplicate_of = a.id
LEFT JOIN news.sources ds ON ds.id = d.source_id
LEFT JOIN news.raw_documents r ON r.id = d.raw_document_id
GROUP BY a.id, s.name;
COMMENT ON VIEW news.article_duplicate_chain IS 'Each article with every copy recorded as its duplicate (method, score, threshold).';
