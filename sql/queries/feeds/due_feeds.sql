-- Enabled, unpaused feeds whose next poll time has come.
SELECT id, name, url FROM news.feeds
WHERE enabled AND paused_at IS NULL AND next_poll_at <= %(now)s
ORDER BY next_poll_at, id
