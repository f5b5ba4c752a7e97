-- Claim the fetch of an origin's robots.txt unless it is fresh or another worker is on it.
INSERT INTO news.robots_cache AS r (origin, fetching_until)
VALUES (%(origin)s, now() + make_interval(secs => %(lease)s))
ON CONFLICT (origin) DO UPDATE SET fetching_until = EXCLUDED.fetching_until
WHERE r.expires_at <= now() AND (r.fetching_until IS NULL OR r.fetching_until < now())
RETURNING origin
