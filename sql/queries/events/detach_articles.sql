-- Take articles out of their events (re-extracted: they are clustered again); their stored
-- features are what leaves the document frequencies.
DELETE FROM news.event_articles WHERE article_id = ANY(%(ids)s)
RETURNING event_id, article_id, features;
