-- Headlines that may be the same headline (same-title duplicates) for each (source, key,
-- window) asked (one article's, or a whole batch's at once): those whose stored key is one
-- asked, by index, and those stored before keys were kept (NULL: compared in code). Each row
-- once (a source's rows without a key would otherwise come once per asking article); each
-- article's own window and key are applied in code, in this order.
SELECT DISTINCT s.name AS source, a.id, a.title, a.title_key, a.published_at, a.minhash
FROM unnest(%(sources)s::text[], %(keys)s::text[], %(starts)s::timestamptz[],
            %(ends)s::timestamptz[]) AS q(source, key, start_at, end_at)
JOIN news.sources s ON s.name = q.source
JOIN news.articles a ON a.source_id = s.id
WHERE NOT a.title_derived
  AND a.published_at BETWEEN q.start_at AND q.end_at
  AND (a.title_key = q.key OR a.title_key IS NULL)
ORDER BY a.published_at, a.id;
