-- Replace the stored features of memberships (re-featurised; the event stays the same).
UPDATE news.event_articles ea
SET features = f.features
FROM unnest(%(ids)s::bigint[], %(features)s::jsonb[]) AS f(article_id, features)
WHERE ea.article_id = f.article_id;
