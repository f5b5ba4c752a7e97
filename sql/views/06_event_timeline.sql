DROP VIEW IF EXISTS news.event_timeline CASCADE;
CREATE VIEW news.event_timeline AS
-- the event's articles, at their publication time, with why each is there
SELECT ea.event_id,
       coalesce(a.published_at, a.first_seen_at) AS at,
       'article'::text AS happening,
       a.id AS article_id, a.title, s.name AS source,
       NULL::bigint AS other_event,
       round(ea.similarity::numeric, 3) AS similarity,
       ea.evidence AS detail,
       ea.assigned_at AS recorded_at
FROM news.event_articles ea
JOIN news.articles a ON a.id = ea.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
UNION ALL
-- articles that came from another event (the event grew by re-clustering)
SELECT m.to_event, m.moved_at, 'article moved in', m.article_id, a.title, s.name,
       m.from_event, round(m.similarity::numeric, 3), to_jsonb(m.reason), m.moved_at
FROM news.event_moves m
JOIN news.articles a ON a.id = m.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE m.to_event IS NOT NULL AND m.from_event IS NOT NULL
UNION ALL
-- articles placed again after they were taken out (re-extracted, then clustered again)
SELECT m.to_event, m.moved_at, 'article placed again', m.article_id, a.title, s.name,
       NULL, round(m.similarity::numeric, 3), to_jsonb(m.reason), m.moved_at
FROM news.event_moves m
JOIN news.articles a ON a.id = m.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE m.to_event IS NOT NULL AND m.from_event IS NULL
  AND EXISTS (SELECT 1 FROM news.event_moves e WHERE e.article_id = m.article_id AND e.id < m.id)
UNION ALL
-- articles that left (the event split, or the article was re-extracted)
SELECT m.from_event, m.moved_at,
       CASE WHEN m.to_event IS NULL THEN 'article taken out' ELSE 'article moved out' END,
       m.article_id, a.title, s.name, m.to_event, round(m.similarity::numeric, 3),
       to_jsonb(m.reason), m.moved_at
FROM news.event_moves m
JOIN news.articles a ON a.id = m.article_id
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE m.from_event IS NOT NULL
UNION ALL
-- the event lost its last article: merged into another, or emptied by re-extraction
SELECT e.id, e.retired_at,
       CASE WHEN e.merged_into IS NULL THEN 'retired' ELSE 'merged into another event' END,
       NULL, e.title, NULL, e.merged_into, NULL, NULL, e.retired_at
FROM news.events e
WHERE e.retired_at IS NOT NULL;
COMMENT ON VIEW news.event_timeline IS
    'Per event: its articles in publication order (with similarity and shared features) and '
    'when it grew, split or merged (article moves, retirement). Order by event_id, at.';

DROP VIEW IF EXISTS news.event_membership CASCADE;
CREATE VIEW news.event_membership AS
-- why is this article here: its event, similarity, shared features and move history
SELECT ea.article_id, a.title, ea.event_id, e.title AS event_title,
       round(ea.similarity::numeric, 3) AS similarity, ea.evidence, ea.assigned_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'at', m.moved_at, 'from_event', m.from_event, 'to_event', m.to_event,
                    'similarity', round(m.similarity::numeric, 3), 'reason', m.reason)
                  ORDER BY m.id)
                 FROM news.event_moves m WHERE m.article_id = ea.article_id), '[]') AS history
FROM news.event_articles ea
JOIN news.articles a ON a.id = ea.article_id
JOIN news.events e ON e.id = ea.event_id;
COMMENT ON VIEW news.event_membership IS
    'Why each article is in its event: similarity, strongest shared features, move history.';
