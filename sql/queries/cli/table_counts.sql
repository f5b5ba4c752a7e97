-- Row counts of the main tables, in the order `newsflow stats` prints them.
SELECT 'raw_documents' AS "table", (SELECT count(*) FROM news.raw_documents) AS n
UNION ALL SELECT 'articles', (SELECT count(*) FROM news.articles)
UNION ALL SELECT 'article_versions', (SELECT count(*) FROM news.article_versions)
UNION ALL SELECT 'article_duplicates', (SELECT count(*) FROM news.article_duplicates)
UNION ALL SELECT 'quarantine', (SELECT count(*) FROM news.quarantine)
UNION ALL SELECT 'events', (SELECT count(*) FROM news.events)
UNION ALL SELECT 'event_articles', (SELECT count(*) FROM news.event_articles)
UNION ALL SELECT 'feeds', (SELECT count(*) FROM news.feeds)
UNION ALL SELECT 'ingest_runs', (SELECT count(*) FROM news.ingest_runs);
