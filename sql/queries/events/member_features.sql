-- What the clusterer needs of each member: stored features (text when none were kept).
SELECT ea.article_id, ea.features, coalesce(ea.source, s.name) AS source,
       coalesce(ea.published_at, a.published_at, a.first_seen_at) AS published_at,
       CASE WHEN ea.features IS NULL THEN a.title END AS title,
       CASE WHEN ea.features IS NULL THEN a.text END AS text
FROM news.event_articles ea
JOIN news.articles a ON a.id = ea.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE ea.article_id = ANY(%(ids)s);
