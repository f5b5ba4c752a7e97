-- The documents a run still has to process, in a stable order.
SELECT r.id, r.origin, r.locator, r.url, r.feed_id, r.media_type, r.charset, r.body,
       r.body_stored, r.size_bytes, r.entry_meta, r.fetched_at, r.partition_date,
       f.name AS feed_name,
       s.name AS feed_source
FROM news.document_outcomes o
JOIN news.raw_documents r ON r.id = o.raw_document_id
LEFT JOIN news.feeds f ON f.id = r.feed_id
LEFT JOIN news.sources s ON s.id = f.source_id
WHERE o.run_id = %(run_id)s AND o.state = 'pending'
ORDER BY r.id;
