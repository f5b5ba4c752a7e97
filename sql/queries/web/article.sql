-- One article with where it came from: its raw document, feed, first run and event.
SELECT a.*, s.name AS source,
       d.origin, d.locator, d.url AS document_url, d.media_type, d.charset, d.http_status,
       d.size_bytes, d.fetched_at, d.partition_date, d.entry_meta, d.content_hash AS document_hash,
       f.id AS feed_id, f.name AS feed_name,
       r.id AS ingest_run_id, r.dag_id, r.run_id,
       ea.event_id, ea.similarity, ea.assigned_at, e.title AS event_title
FROM news.articles a
JOIN news.raw_documents d ON d.id = a.raw_document_id
LEFT JOIN news.sources s ON s.id = a.source_id
LEFT JOIN news.feeds f ON f.id = d.feed_id
LEFT JOIN news.ingest_runs r ON r.id = a.first_run_id
LEFT JOIN news.event_articles ea ON ea.article_id = a.id
LEFT JOIN news.events e ON e.id = ea.event_id
WHERE a.id = %(article_id)s;
