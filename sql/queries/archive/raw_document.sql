-- Archive one raw document; a body already archived (same sha256) is recognised, not copied.
-- The same bytes under several names keep the earliest (partition date, locator), so the row
-- does not depend on which run archived them first (backfill days run in parallel); re-running
-- the same names changes nothing. Returned with what archiving decides on (one round trip):
-- whether the document is settled (archive/document_settled), whether it was refused at
-- acquisition (over the size cap, a type not read: settled only while that still holds) and its
-- failed attempts (archive/failed_attempts).
WITH upserted AS (
INSERT INTO news.raw_documents AS r
    (content_hash, origin, locator, url, feed_id, media_type, charset, http_status,
     http_headers, size_bytes, body, codec, body_stored, partition_date, first_run_id,
     entry_meta, fetched_at)
VALUES
    (%(content_hash)s, %(origin)s, %(locator)s, %(url)s, %(feed_id)s, %(media_type)s,
     %(charset)s, %(http_status)s, %(http_headers)s, %(size_bytes)s, %(body)s, %(codec)s,
     %(body_stored)s,
     %(partition_date)s, %(run_id)s, %(entry_meta)s, COALESCE(%(fetched_at)s, now()))
ON CONFLICT (content_hash) DO UPDATE
    SET locator = EXCLUDED.locator, partition_date = EXCLUDED.partition_date
    WHERE (COALESCE(EXCLUDED.partition_date, 'infinity'::date), EXCLUDED.locator)
        < (COALESCE(r.partition_date, 'infinity'::date), r.locator)
RETURNING id
), doc AS (
SELECT id FROM upserted
UNION ALL
SELECT id FROM news.raw_documents WHERE content_hash = %(content_hash)s
LIMIT 1
)
SELECT doc.id,
       EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = doc.id)
    OR EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = doc.id)
    OR EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = doc.id AND stage <> 'acquire')
    OR EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = doc.id) AS settled,
       EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = doc.id AND stage = 'acquire')
           AS refused_before,
       f.attempts AS failed_attempts, f.last_detail AS last_failure
FROM doc
CROSS JOIN LATERAL (
    -- failed attempts: an error, or a run (or an earlier try of one) that died while the
    -- document was alone in its chunk (news.died_with, runs/count_earlier_tries; a death in a
    -- larger chunk only isolates it, ingest/pending_sizes). feeds/unsettled_pages counts them
    -- the same way.
    SELECT coalesce(sum(a.n), 0) AS attempts,
           (array_agg(a.detail ORDER BY a.run_id DESC) FILTER (WHERE a.n > 0))[1] AS last_detail
    FROM (
        SELECT o.run_id,
               (o.state = 'failed'
                OR news.died_with(o.state, o.detail, r.status) IS NOT DISTINCT FROM 'alone')::int
                   + o.tries_died_alone AS n,
               CASE WHEN o.state = 'pending'
                    THEN 'the run ended while processing this document alone'
                    ELSE o.detail END AS detail
        FROM news.document_outcomes o JOIN news.ingest_runs r ON r.id = o.run_id
        WHERE o.raw_document_id = doc.id
    ) a
) f;
