-- Members of the given events (ids and order only), latest published first, at most
-- %(limit)s per event (NULL: all).
SELECT event_id, article_id
FROM (
    SELECT ea.event_id, ea.article_id,
           row_number() OVER (
               PARTITION BY ea.event_id
               ORDER BY ea.published_at DESC NULLS LAST, ea.article_id DESC
           ) AS rank
    FROM news.event_articles ea
    WHERE ea.event_id = ANY(%(ids)s)
) m
WHERE %(limit)s::int IS NULL OR rank <= %(limit)s::int
ORDER BY event_id, rank;
