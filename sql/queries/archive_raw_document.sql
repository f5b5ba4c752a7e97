-- Archive one raw document; a body already archived (same sha256) is recognised, not copied.
WITH inserted AS (
    INSERT INTO news.raw_documents
        (content_hash, origin, locator, url, feed_id, media_type, charset, http_status,
         http_headers, size_bytes, body, body_stored, partition_date, first_run_id, entry_meta,
         fetched_at)
    VALUES
        (%(content_hash)s, %(origin)s, %(locator)s, %(url)s, %(feed_id)s, %(media_type)s,
         %(charset)s, %(http_status)s, %(http_headers)s, %(size_bytes)s, %(body)s, %(body_stored)s,
         %(partition_date)s, %(run_id)s, %(entry_meta)s, COALESCE(%(fetched_at)s, now()))
    ON CONFLICT (content_hash) DO NOTHING
    RETURNING id, true AS is_new
)
SELECT id, is_new FROM inserted
UNION ALL
SELECT id, false FROM news.raw_documents WHERE content_hash = %(content_hash)s
LIMIT 1;
