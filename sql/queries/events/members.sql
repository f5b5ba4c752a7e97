-- Members of the given events, latest published first, at most %(limit)s per event (NULL: all).
SELECT event_id, article_id, features, source, published_at, title, text
FROM (
    SELECT ea.event_id, ea.article_id, ea.features, coalesce(ea.source, s.name) AS source,
           coalesce(ea.published_at, a.published_at, a.first_seen_at) AS published_at,
           CASE WHEN ea.features IS NULL THEN a.title END AS title,
           CASE WHEN ea.features IS NULL THEN a.text END AS text,
           row_number() OVER (
               PARTITION BY ea.event_id
               ORDER BY coalesce(ea.published_at, a.published_at, a.first_seen_at) DESC,
                        ea.article_id DESC
           ) AS rank
    FROM news.event_articles ea
    JOIN news.articles a ON a.id = ea.article_id
    LEFT JOIN news.sources s ON s.id = a.source_id
    WHERE ea.event_id = ANY(%(ids)s)
) m
WHERE %(limit)s::int IS NULL OR rank <= %(limit)s::int
ORDER BY event_id, rank;
