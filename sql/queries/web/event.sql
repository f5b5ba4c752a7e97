-- One event, live or retired (then where its articles went).
SELECT e.id, e.title, e.summary, e.first_published_at, e.last_published_at, e.article_count,
       e.source_count, e.places, e.keywords, e.created_at, e.updated_at, e.retired_at,
       e.merged_into,
       (SELECT array_agg(DISTINCT m.source ORDER BY m.source) FROM news.event_articles m
         WHERE m.event_id = e.id AND m.source IS NOT NULL) AS sources
FROM news.events e
WHERE e.id = %(event_id)s;
