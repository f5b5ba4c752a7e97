-- Fresh planner statistics after bulk-loading the events bench's clustered history.
ANALYZE news.articles, news.events, news.event_articles, news.event_keys, news.event_docfreq;
