-- Feed pages whose last run ended without processing them: the run died (outcome 'abandoned')
-- or failed on them ('failed': at most %(max_attempts)s failed attempts, as archive/raw_document
-- counts them), that no run holds pending and that are not settled since (the rule of
-- archive/document_settled; any quarantine counts, refusals at acquisition included). A page is
-- fetched once per entry: without this, the page of an entry that never changes again waited
-- for a backfill of its day. Oldest first, at most %(limit)s, with the last run's outcome; only
-- what runs of the last %(days)s days left.
SELECT r.id, r.locator, last.run_id, last.state, last.detail
FROM (
    -- runs of the last weeks only: older outcomes stay with a backfill of their day, and the
    -- look-up does not grow with the whole history
    SELECT DISTINCT o.raw_document_id AS id FROM news.document_outcomes o
    JOIN news.ingest_runs run ON run.id = o.run_id
    WHERE o.state IN ('abandoned', 'failed') AND o.item_no = 0
      AND run.started_at > now() - make_interval(days => %(days)s)
) c
JOIN news.raw_documents r ON r.id = c.id AND r.origin = 'page'
CROSS JOIN LATERAL (
    SELECT o.run_id, o.state, o.detail FROM news.document_outcomes o
    WHERE o.raw_document_id = r.id AND o.item_no = 0
    ORDER BY o.run_id DESC LIMIT 1
) last
WHERE last.state IN ('abandoned', 'failed')
  AND NOT EXISTS (SELECT 1 FROM news.document_outcomes p
                  WHERE p.raw_document_id = r.id AND p.state = 'pending')
  -- failed attempts as archive/raw_document counts them: errors, and deaths of the process
  -- while the page was alone in its chunk (runs/mark_chunk_started)
  AND (SELECT count(*) FROM news.document_outcomes f
       WHERE f.raw_document_id = r.id
         AND (f.state = 'failed'
              OR (f.state = 'abandoned'
                  AND f.detail LIKE 'the run %% while processing this document alone'))
      ) < %(max_attempts)s
  AND NOT EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = r.id)
ORDER BY r.id
LIMIT %(limit)s;
