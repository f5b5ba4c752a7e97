-- One keyset page of live events, most recent first (index events_live_recent_idx). The cursor
-- is the sort key of the last event shown: (coalesce(last_published_at, '-infinity'), id);
-- the first page starts at ('infinity', max bigint).
SELECT e.id, e.title, e.summary, e.first_published_at, e.last_published_at, e.article_count,
       e.source_count, e.places, e.keywords
FROM news.events e
WHERE e.retired_at IS NULL
  AND (coalesce(e.last_published_at, '-infinity'::timestamptz), e.id)
      < (%(cursor_at)s::timestamptz, %(cursor_id)s::bigint)
ORDER BY coalesce(e.last_published_at, '-infinity'::timestamptz) DESC, e.id DESC
LIMIT %(limit)s;
