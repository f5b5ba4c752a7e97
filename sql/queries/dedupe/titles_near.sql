-- Headlines of one source within a time window that may be the same headline (same-title
-- duplicates): those whose stored key is the one given, by index, and those stored before
-- keys were kept (NULL: compared in code).
SELECT a.id, a.title, a.title_key FROM news.articles a JOIN news.sources s ON s.id = a.source_id
WHERE s.name = %(source)s AND NOT a.title_derived
  AND a.published_at BETWEEN %(start)s AND %(end)s
  AND (a.title_key = %(key)s OR a.title_key IS NULL)
ORDER BY a.published_at, a.id;
