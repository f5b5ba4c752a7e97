-- Take articles out of their events (re-extracted: they are clustered again).
DELETE FROM news.event_articles WHERE article_id = ANY(%(ids)s)
RETURNING event_id, article_id;
