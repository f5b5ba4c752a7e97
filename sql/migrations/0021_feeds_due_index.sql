-- The feeds watcher asks every few seconds when the next active feed is due (and the
-- news_feeds start task which are due): an index on the due time of the active feeds.
CREATE INDEX IF NOT EXISTS feeds_next_poll_active ON feeds (next_poll_at)
    WHERE enabled AND paused_at IS NULL;
