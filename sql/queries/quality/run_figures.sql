-- What the data-quality gate looks at for one ingest run.
SELECT r.id, r.dag_id, r.run_id, r.status, r.documents_seen, r.documents_new,
       r.articles_stored, r.articles_updated, r.duplicates, r.quarantined, r.failed,
       r.validation, r.started_at, r.finished_at, r.status_detail,
       (SELECT count(*) FROM news.document_outcomes o
         WHERE o.run_id = r.id AND o.state IN ('pending', 'abandoned')) AS pending,
       (SELECT count(DISTINCT p.feed_id) FROM news.feed_polls p JOIN news.feeds f ON f.id = p.feed_id
         WHERE p.run_id = r.id AND f.paused_at IS NOT NULL AND f.paused_at >= r.started_at)
         AS feeds_paused,
       (SELECT coalesce(jsonb_agg(f.name || ': ' || f.paused_reason), '[]')
          FROM news.feeds f
         WHERE f.paused_at >= r.started_at
           AND EXISTS (SELECT 1 FROM news.feed_polls p WHERE p.run_id = r.id AND p.feed_id = f.id))
         AS paused_feeds
FROM news.ingest_runs r
WHERE r.id = %(run_id)s;
