-- Events indexed under any of the keys (and active since the cutoff), best by matching keys.
-- One index range per key: event ids grow with time, so with a cutoff only entries from the
-- oldest event still active are read, and the lookup costs what the recent window holds, not
-- the whole history.
WITH recent AS MATERIALIZED (
    SELECT id FROM news.events
    WHERE %(since)s::timestamptz IS NOT NULL AND last_published_at >= %(since)s::timestamptz
), first AS (
    SELECT CASE WHEN %(since)s::timestamptz IS NULL THEN 0
                ELSE coalesce((SELECT min(id) FROM recent), 9223372036854775807) END AS id
), hits AS MATERIALIZED (
    SELECT k.event_id
    FROM unnest(%(keys)s::text[]) AS q(key)
    CROSS JOIN LATERAL (
        SELECT ek.event_id FROM news.event_keys ek
        WHERE ek.key = q.key AND ek.event_id >= (SELECT id FROM first)
    ) k
)
SELECT h.event_id, count(*) AS hits
FROM hits h
JOIN news.events e ON e.id = h.event_id
WHERE e.retired_at IS NULL
  AND (%(since)s::timestamptz IS NULL OR e.last_published_at >= %(since)s::timestamptz)
GROUP BY h.event_id
ORDER BY hits DESC, h.event_id
LIMIT %(limit)s;
