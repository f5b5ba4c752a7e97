-- Events indexed under any of the keys (and active since the cutoff), best by matching keys.
-- Event ids grow with time, so with a cutoff only index entries from the oldest event still
-- active are read: the lookup costs what the recent window holds, not the whole history.
SELECT k.event_id, count(*) AS hits
FROM news.event_keys k
JOIN news.events e ON e.id = k.event_id
WHERE k.key = ANY(%(keys)s)
  AND k.event_id >= CASE
        WHEN %(since)s::timestamptz IS NULL THEN 0
        ELSE coalesce((SELECT min(r.id) FROM news.events r
                       WHERE r.last_published_at >= %(since)s::timestamptz),
                      9223372036854775807)
      END
  AND e.retired_at IS NULL
  AND (%(since)s::timestamptz IS NULL OR e.last_published_at >= %(since)s::timestamptz)
GROUP BY k.event_id
ORDER BY hits DESC, k.event_id
LIMIT %(limit)s;
