-- The id ranges the p95 measurement draws its random pages from (tools/newsflow_tools/news_view_bench.py).
SELECT (SELECT max(id) FROM news.events) AS events,
       (SELECT max(id) FROM news.articles) AS articles,
       (SELECT max(id) FROM news.quarantine) AS quarantine,
       (SELECT max(id) FROM news.ingest_runs) AS runs,
       (SELECT count(*) FROM news.articles) AS article_count;
