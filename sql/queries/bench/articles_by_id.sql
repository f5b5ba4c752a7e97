-- The text of stored articles by id (the ones the lookup bench re-posts as near-duplicates).
SELECT id, text FROM news.articles WHERE id = ANY(%(ids)s) ORDER BY id;
