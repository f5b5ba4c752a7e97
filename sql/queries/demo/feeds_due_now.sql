-- The demo's feeds are due at once (make run polls them immediately).
UPDATE news.feeds SET next_poll_at = now() WHERE id = ANY(%(ids)s);
