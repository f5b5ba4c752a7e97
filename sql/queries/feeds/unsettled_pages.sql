-- Feed pages whose last run ended without processing them: the run died (outcome 'abandoned',
-- or still 'pending' in a run that ended) or failed on them ('failed': at most %(max_attempts)s failed attempts, as archive/raw_document
-- counts them), that no run holds pending and that are not settled since (the rule of
-- archive/document_settled; any quarantine counts, refusals at acquisition included). A page is
-- fetched once per entry: without this, the page of an entry that never changes again waited
-- for a backfill of its day. Oldest first, at most %(limit)s, with the last run's outcome; only
-- what runs of the last %(days)s days left.
SELECT r.id, r.locator, last.run_id,
       CASE WHEN last.state = 'pending' THEN 'abandoned' ELSE last.state END AS state, last.detail
FROM (
    -- runs of the last weeks only: older outcomes stay with a backfill of their day, and the
    -- look-up does not grow with the whole history
    SELECT DISTINCT o.raw_document_id AS id FROM news.document_outcomes o
    JOIN news.ingest_runs run ON run.id = o.run_id
    WHERE o.item_no = 0
      AND (o.state IN ('abandoned', 'failed') OR (o.state = 'pending' AND run.status <> 'running'))
      AND run.started_at > now() - make_interval(days => %(days)s)
) c
JOIN news.raw_documents r ON r.id = c.id AND r.origin = 'page'
CROSS JOIN LATERAL (
    SELECT o.run_id, o.state, o.detail, run.status FROM news.document_outcomes o
    JOIN news.ingest_runs run ON run.id = o.run_id
    WHERE o.raw_document_id = r.id AND o.item_no = 0
    ORDER BY o.run_id DESC LIMIT 1
) last
-- (a page left pending by a run that ended: its chunk's task died and the run was closed
-- 'incomplete' by its report, which releases nothing)
WHERE (last.state IN ('abandoned', 'failed') OR (last.state = 'pending' AND last.status <> 'running'))
  AND NOT EXISTS (SELECT 1 FROM news.document_outcomes p
                  JOIN news.ingest_runs pr ON pr.id = p.run_id
                  WHERE p.raw_document_id = r.id AND p.state = 'pending' AND pr.status = 'running')
  -- failed attempts as archive/raw_document counts them: errors, and deaths of the process
  -- while the page was alone in its chunk (news.died_with, runs/count_earlier_tries)
  AND (SELECT count(*) FILTER (WHERE f.state = 'failed'
                                 OR news.died_with(f.state, f.detail, fr.status) = 'alone')
              + coalesce(sum(f.tries_died_alone), 0)
       FROM news.document_outcomes f
       JOIN news.ingest_runs fr ON fr.id = f.run_id
       WHERE f.raw_document_id = r.id) < %(max_attempts)s
  AND NOT EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = r.id)
ORDER BY r.id
LIMIT %(limit)s;
