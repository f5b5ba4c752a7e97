-- The robots.txt record of an origin while it is fresh; ttl_left in seconds.
SELECT mode, body, http_status, note,
       extract(epoch FROM expires_at - now())::float8 AS ttl_left
FROM news.robots_cache
WHERE origin = %(origin)s AND expires_at > now() AND mode IS NOT NULL
