-- A failed poll: health, back-off, and an automatic pause with its reason.
UPDATE news.feeds SET last_polled_at = now(), last_status = 'error',
       last_http_status = %(http_status)s, last_error = %(error)s,
       failure_score = %(score)s, consecutive_failures = %(consecutive)s,
       poll_interval_seconds = %(interval)s,
       next_poll_at = now() + make_interval(secs => %(next_in)s),
       paused_at = CASE WHEN %(pause)s::text IS NOT NULL THEN now() ELSE paused_at END,
       paused_reason = COALESCE(%(pause)s, paused_reason)
WHERE id = %(id)s
