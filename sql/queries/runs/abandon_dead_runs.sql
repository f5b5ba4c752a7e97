-- Runs left 'running' with no sign of life for longer than any unit of work takes: the
-- process working on them died. They are closed as 'abandoned' (when and why), and their
-- documents still pending are released (a later run that sees them processes them).
WITH dead AS (
    UPDATE news.ingest_runs r SET
        status = 'abandoned',
        finished_at = clock_timestamp(),
        status_detail = format(
            'abandoned at %%s by run %%s: no sign of life since %%s (more than %%s); the '
            'process working on it died or was killed',
            to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
            %(by_run)s,
            to_char(r.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
            make_interval(secs => %(after_s)s)::text)
    WHERE r.status = 'running'
      AND r.id <> %(by_run)s
      AND r.heartbeat_at < clock_timestamp() - make_interval(secs => %(after_s)s)
    RETURNING r.id
), released AS (
    UPDATE news.document_outcomes o SET state = 'abandoned',
        detail = CASE o.detail
        WHEN 'chunk started: alone' THEN 'the run died while processing this document alone'
        WHEN 'chunk started' THEN 'the run died while this document''s chunk was being processed'
        ELSE 'the run died before this document was processed' END
    FROM dead WHERE o.run_id = dead.id AND o.state = 'pending'
    RETURNING o.run_id
)
SELECT (SELECT count(*) FROM dead) AS runs, (SELECT count(*) FROM released) AS documents;
