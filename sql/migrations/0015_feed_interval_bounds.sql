-- The adaptive polling interval's bounds are settings (NEWSFLOW_FEED_MIN_INTERVAL /
-- NEWSFLOW_FEED_MAX_INTERVAL): a feed whose entries change every few minutes is polled at that
-- pace. The table keeps only a sanity range.
ALTER TABLE feeds DROP CONSTRAINT IF EXISTS feeds_poll_interval_seconds_check;
ALTER TABLE feeds ADD CONSTRAINT feeds_poll_interval_seconds_check
    CHECK (poll_interval_seconds BETWEEN 10 AND 31536000);
