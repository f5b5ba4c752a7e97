-- Enable a feed and lift an automatic pause (resets its failure score).
UPDATE news.feeds SET enabled = true, paused_at = NULL, paused_reason = NULL,
       failure_score = 0, consecutive_failures = 0, next_poll_at = now()
WHERE id::text = %(ident)s OR url = %(ident)s OR name = %(ident)s
RETURNING id
