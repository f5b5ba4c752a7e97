-- Bulk-load the events of an already clustered synthetic history, with their clusterer states.
COPY news.events (id, title, first_published_at, last_published_at, article_count, source_count,
                  state, retired_at, merged_into)
FROM STDIN;
