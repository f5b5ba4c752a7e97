-- The earliest next poll of an active feed, and the database's clock (the feeds watcher's
-- look, every few seconds: one step down the partial index feeds_next_poll_active).
SELECT (SELECT next_poll_at FROM news.feeds
        WHERE enabled AND paused_at IS NULL
        ORDER BY next_poll_at LIMIT 1) AS next_poll_at,
       now() AS now
