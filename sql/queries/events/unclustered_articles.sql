-- Articles not yet in an event, in publication order (first seen when the date is unknown).
SELECT a.id, a.title, a.title_derived, a.text, coalesce(a.published_at, a.first_seen_at) AS published_at,
       s.name AS source
FROM news.articles a
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE NOT EXISTS (SELECT 1 FROM news.event_articles ea WHERE ea.article_id = a.id)
ORDER BY coalesce(a.published_at, a.first_seen_at), a.id
LIMIT %(limit)s;
