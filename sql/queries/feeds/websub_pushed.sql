-- A hub pushed new content: the feed is due now (its poll fetches the news).
UPDATE news.feeds SET next_poll_at = least(next_poll_at, now()), websub_last_push_at = now()
WHERE id = %(id)s
