-- Inverted-index entries of the given keys for live events last updated at or after the
-- cutoff, with their times: what the clusterer's window index holds (see
-- events.store.WindowIndex). The same index ranges as events/candidates.
WITH first AS (
    SELECT coalesce(min(id), 9223372036854775807) AS id
    FROM news.events WHERE last_published_at >= %(since)s::timestamptz
)
SELECT q.key, ek.event_id, e.last_published_at
FROM unnest(%(keys)s::text[]) AS q(key)
JOIN news.event_keys ek ON ek.key = q.key AND ek.event_id >= (SELECT id FROM first)
JOIN news.events e ON e.id = ek.event_id
WHERE e.retired_at IS NULL AND e.last_published_at >= %(since)s::timestamptz;
