-- Store what a robots.txt fetch established, for every worker, until it expires.
INSERT INTO news.robots_cache AS r
    (origin, mode, body, http_status, note, fetched_at, expires_at, fetching_until, fetches)
VALUES (%(origin)s, %(mode)s, %(body)s, %(http_status)s, %(note)s, now(),
        now() + make_interval(secs => %(ttl)s), NULL, 1)
ON CONFLICT (origin) DO UPDATE SET
    mode = EXCLUDED.mode, body = EXCLUDED.body, http_status = EXCLUDED.http_status,
    note = EXCLUDED.note, fetched_at = EXCLUDED.fetched_at, expires_at = EXCLUDED.expires_at,
    fetching_until = NULL, fetches = r.fetches + 1
