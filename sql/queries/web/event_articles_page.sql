-- One keyset page of an event's articles, most recent first (index
-- event_articles_event_recent_idx); cursor: (coalesce(published_at, '-infinity'), article_id).
SELECT ea.article_id, a.title, a.published_at, a.canonical_url, ea.source, ea.similarity,
       ea.assigned_at, r.dag_id, r.run_id,
       ea.published_at AS sort_at  -- what the page is ordered by, and its cursor is made of
FROM news.event_articles ea
JOIN news.articles a ON a.id = ea.article_id
LEFT JOIN news.ingest_runs r ON r.id = a.first_run_id
WHERE ea.event_id = %(event_id)s
  AND (coalesce(ea.published_at, '-infinity'::timestamptz), ea.article_id)
      < (%(cursor_at)s::timestamptz, %(cursor_id)s::bigint)
ORDER BY coalesce(ea.published_at, '-infinity'::timestamptz) DESC, ea.article_id DESC
LIMIT %(limit)s;
