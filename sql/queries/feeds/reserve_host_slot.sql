-- Reserve the next request slot for a host across every process; seconds to wait for it.
INSERT INTO news.host_slots AS h (host, next_allowed_at)
VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(iv)s))
ON CONFLICT (host) DO UPDATE SET next_allowed_at =
    greatest(h.next_allowed_at, clock_timestamp()) + make_interval(secs => %(iv)s)
RETURNING extract(epoch FROM next_allowed_at - clock_timestamp()) - %(iv)s AS wait
