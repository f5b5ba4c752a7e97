-- Headlines of one source within a time window (same-title duplicates; compared in code).
SELECT a.id, a.title FROM news.articles a JOIN news.sources s ON s.id = a.source_id
WHERE s.name = %(source)s AND NOT a.title_derived
  AND a.published_at BETWEEN %(start)s AND %(end)s
ORDER BY a.published_at, a.id;
