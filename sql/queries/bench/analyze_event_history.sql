-- After bulk-loading the events bench's clustered history: what autovacuum would do in a
-- deployment (planner statistics; a visibility map, so index-only scans need no heap reads).
VACUUM (ANALYZE) news.articles, news.events, news.event_articles, news.event_keys,
    news.event_docfreq;
