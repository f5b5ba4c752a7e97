-- titles_near.sql for a batch at once: the headlines of the batch's sources, within the
-- batch's windows, that may be one of the batch's headlines; each row once (a source's
-- stored rows without a key would otherwise come once per asking article). Each article's
-- own window and key are applied in code, in this order.
SELECT DISTINCT s.name AS source, a.id, a.title, a.title_key, a.published_at
FROM unnest(%(sources)s::text[], %(keys)s::text[], %(starts)s::timestamptz[],
            %(ends)s::timestamptz[]) AS q(source, key, start_at, end_at)
JOIN news.sources s ON s.name = q.source
JOIN news.articles a ON a.source_id = s.id
WHERE NOT a.title_derived
  AND a.published_at BETWEEN q.start_at AND q.end_at
  AND (a.title_key = q.key OR a.title_key IS NULL)
ORDER BY a.published_at, a.id;
