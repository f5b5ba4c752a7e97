-- Events indexed under any of the keys (and active since the cutoff), best by matching keys.
SELECT k.event_id, count(*) AS hits
FROM news.event_keys k
JOIN news.events e ON e.id = k.event_id
WHERE k.key = ANY(%(keys)s)
  AND e.retired_at IS NULL
  AND (%(since)s::timestamptz IS NULL OR e.last_published_at >= %(since)s::timestamptz)
GROUP BY k.event_id
ORDER BY hits DESC, k.event_id
LIMIT %(limit)s;
