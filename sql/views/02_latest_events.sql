DROP VIEW IF EXISTS news.latest_events CASCADE;
CREATE VIEW news.latest_events AS
-- The span is of the articles' publication dates (NULL when none has one): events.first_/
-- last_published_at are clustering times, where an undated article counts at its first sight,
-- and an undated event listed as the newest, inside any "last week" filter, for ever after.
SELECT e.id AS event_id, e.title, e.summary,
       min(a.published_at) AS first_published_at, max(a.published_at) AS last_published_at,
       max(a.first_seen_at) AS last_seen_at,
       e.article_count, e.source_count, e.keywords, e.places,
       jsonb_agg(jsonb_build_object(
           'article_id', a.id, 'title', a.title, 'source', s.name, 'url', a.canonical_url,
           'published_at', a.published_at, 'similarity', round(ea.similarity::numeric, 3),
           'why', ea.evidence)
         ORDER BY a.published_at NULLS LAST, a.id) AS articles,
       array_remove(array_agg(DISTINCT s.name), NULL) AS sources
FROM news.events e
JOIN news.event_articles ea ON ea.event_id = e.id
JOIN news.articles a ON a.id = ea.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
GROUP BY e.id
ORDER BY max(a.published_at) DESC NULLS LAST, e.id DESC;
COMMENT ON VIEW news.latest_events IS
    'Events, most recently published first (events without a dated article last), with their '
    'articles and sources; first/last_published_at span the articles'' publication dates.';
