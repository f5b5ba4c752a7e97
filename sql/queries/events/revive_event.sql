-- A retired event left empty by re-extraction comes back for the article that left it
-- (never one merged into another event, never one with members).
UPDATE news.events e SET retired_at = NULL, merged_into = NULL, updated_at = now()
WHERE e.id = %(id)s AND e.retired_at IS NOT NULL AND e.merged_into IS NULL
  AND NOT EXISTS (SELECT 1 FROM news.event_articles ea WHERE ea.event_id = e.id)
RETURNING e.id;
