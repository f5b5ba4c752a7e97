-- The id ranges the p95 measurement draws its random pages from, and the worst cases it
-- measures on purpose: the largest event and the most-copied article
-- (tools/newsflow_tools/news_view_bench.py; full scans, never run by the view).
SELECT (SELECT max(id) FROM news.events) AS events,
       (SELECT max(id) FROM news.articles) AS articles,
       (SELECT max(id) FROM news.quarantine) AS quarantine,
       (SELECT max(id) FROM news.ingest_runs) AS runs,
       (SELECT count(*) FROM news.articles) AS article_count,
       (SELECT id FROM news.events ORDER BY article_count DESC, id LIMIT 1) AS largest_event,
       (SELECT max(article_count) FROM news.events) AS largest_event_size,
       (SELECT duplicate_of FROM news.article_duplicates
         GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS most_copied,
       (SELECT count(*) FROM news.article_duplicates
         GROUP BY duplicate_of ORDER BY count(*) DESC LIMIT 1) AS most_copies;
