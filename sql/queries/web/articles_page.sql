-- One keyset page of articles, latest stored first (primary key); cursor: the last id shown.
SELECT a.id, a.title, a.published_at, a.published_at_source, a.language, a.word_count,
       a.version, a.first_seen_at, s.name AS source, ea.event_id, r.dag_id, r.run_id
FROM news.articles a
LEFT JOIN news.sources s ON s.id = a.source_id
LEFT JOIN news.event_articles ea ON ea.article_id = a.id
LEFT JOIN news.ingest_runs r ON r.id = a.first_run_id
WHERE a.id < %(cursor_id)s::bigint
ORDER BY a.id DESC
LIMIT %(limit)s;
