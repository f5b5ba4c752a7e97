-- The latency bench's probe articles that are stored, and whether each is in an event yet.
SELECT a.title,
       EXISTS (SELECT 1 FROM news.event_articles e WHERE e.article_id = a.id) AS evented
FROM news.articles a
WHERE a.title LIKE %(prefix)s;
