-- titles_near.sql for a batch at once: for the n-th (source, key, window) asked, the same rows
-- in the same order.
SELECT q.n, a.id, a.title, a.title_key
FROM unnest(%(sources)s::text[], %(keys)s::text[], %(starts)s::timestamptz[],
            %(ends)s::timestamptz[]) WITH ORDINALITY AS q(source, key, start_at, end_at, n)
JOIN news.sources s ON s.name = q.source
JOIN news.articles a ON a.source_id = s.id
WHERE NOT a.title_derived
  AND a.published_at BETWEEN q.start_at AND q.end_at
  AND (a.title_key = q.key OR a.title_key IS NULL)
ORDER BY q.n, a.published_at, a.id;
