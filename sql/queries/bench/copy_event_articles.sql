-- Bulk-load the memberships (with features) of an already clustered synthetic history.
COPY news.event_articles (article_id, event_id, similarity, features, source, published_at)
FROM STDIN;
