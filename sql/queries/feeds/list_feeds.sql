SELECT * FROM news.feed_health ORDER BY id
