-- Queued articles (not yet in an event), in publication order (first seen when undated).
SELECT a.id, a.title, a.title_derived, a.text,
       coalesce(a.published_at, a.first_seen_at) AS published_at, s.name AS source,
       q.previous_event
FROM news.event_queue q
JOIN news.articles a ON a.id = q.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
ORDER BY coalesce(a.published_at, a.first_seen_at), a.id
LIMIT %(limit)s;
