-- Each stored article's URL and its event (NULL: not clustered), for scoring the production path.
SELECT a.id, a.canonical_url, ea.event_id
FROM news.articles a
LEFT JOIN news.event_articles ea ON ea.article_id = a.id
ORDER BY a.id;
