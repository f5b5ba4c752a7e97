-- Pages of a feed still wanted (left for the next poll).
SELECT count(*) AS backlog
FROM news.pages p JOIN news.feed_entries e ON e.entry_url = p.url AND e.feed_id = %(feed_id)s
WHERE p.wanted AND p.attempts < %(max_attempts)s
