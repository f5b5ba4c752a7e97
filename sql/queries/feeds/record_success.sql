-- A successful poll: health, adaptive interval, validators for the next conditional GET.
UPDATE news.feeds SET last_polled_at = now(), last_success_at = now(),
       last_status = %(status)s, last_http_status = %(http_status)s, last_error = NULL,
       failure_score = 0, consecutive_failures = 0, poll_interval_seconds = %(interval)s,
       next_poll_at = now() + make_interval(secs => %(next_in)s),
       entries_new_last = %(entries_new)s,
       entries_seen_total = entries_seen_total + %(entries_new)s,
       etag = COALESCE(%(etag)s, etag), last_modified = COALESCE(%(last_modified)s, last_modified),
       body_hash = COALESCE(%(body_hash)s, body_hash)
WHERE id = %(id)s
