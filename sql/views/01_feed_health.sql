DROP VIEW IF EXISTS news.feed_health CASCADE;
CREATE VIEW news.feed_health AS
SELECT f.id, f.name, f.url, s.name AS source,
       CASE WHEN NOT f.enabled THEN 'disabled'
            WHEN f.paused_at IS NOT NULL THEN 'paused'
            ELSE coalesce(f.last_status, 'never-polled') END AS status,
       f.last_polled_at, f.last_success_at, f.last_http_status, f.last_error,
       f.failure_score, f.consecutive_failures, f.poll_interval_seconds, f.next_poll_at,
       f.paused_at, f.paused_reason, f.entries_new_last, f.entries_seen_total,
       (SELECT count(*) FROM news.feed_polls p
         WHERE p.feed_id = f.id AND p.polled_at > now() - interval '24 hours') AS polls_24h,
       (SELECT count(*) FROM news.feed_polls p
         WHERE p.feed_id = f.id AND p.polled_at > now() - interval '24 hours'
           AND p.outcome NOT IN ('ok', 'ok-malformed', 'not-modified', 'unchanged-body')) AS failures_24h
FROM news.feeds f LEFT JOIN news.sources s ON s.id = f.source_id;
COMMENT ON VIEW news.feed_health IS 'Each feed: status, last error, weighted failures, polling interval, pause reason.';
