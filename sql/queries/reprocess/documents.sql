-- Archived documents to re-extract: in the date range, of the sources, whose articles were made
-- by another extractor version (or the given one). Pending-style rows for pipeline.extract_items.
SELECT DISTINCT r.id, r.origin, r.locator, r.url, r.feed_id, r.media_type, r.charset, r.codec, r.body,
       r.partition_date,
       r.body_stored, r.size_bytes, r.entry_meta, r.fetched_at, f.name AS feed_name,
       fs.name AS feed_source
FROM news.raw_documents r
JOIN news.articles a ON a.raw_document_id = r.id
LEFT JOIN news.sources s ON s.id = a.source_id
LEFT JOIN news.feeds f ON f.id = r.feed_id
LEFT JOIN news.sources fs ON fs.id = f.source_id
WHERE r.body_stored
  AND (%(start)s::date IS NULL OR coalesce(r.partition_date, (r.fetched_at AT TIME ZONE 'UTC')::date) >= %(start)s::date)
  AND (%(end)s::date IS NULL OR coalesce(r.partition_date, (r.fetched_at AT TIME ZONE 'UTC')::date) <= %(end)s::date)
  AND (%(sources)s::text[] IS NULL OR s.name = ANY(%(sources)s::text[]))
  AND (%(force)s OR CASE WHEN %(version)s::text IS NULL
                         THEN a.extractor_version <> %(current)s
                         ELSE a.extractor_version = %(version)s::text END)
ORDER BY r.id;
