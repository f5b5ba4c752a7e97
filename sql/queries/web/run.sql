-- One ingest run with its document states (primary key of document_outcomes starts with run_id).
SELECT r.*,
       (SELECT coalesce(jsonb_object_agg(c.state, c.n), '{}'::jsonb) FROM (
            SELECT o.state, count(*) AS n FROM news.document_outcomes o
            WHERE o.run_id = r.id GROUP BY o.state) c) AS states
FROM news.ingest_runs r
WHERE r.id = %(ingest_run_id)s;
