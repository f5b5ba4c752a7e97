-- Move the articles id sequence past the ids a bulk load wrote itself.
SELECT setval('news.articles_id_seq', (SELECT max(id) FROM news.articles));
