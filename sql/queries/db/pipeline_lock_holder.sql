-- Who holds a pipeline lock: the session whose transaction locked the row.
SELECT a.pid, a.usename AS "user", a.application_name, a.client_addr::text AS client,
       a.state, a.xact_start, left(a.query, 200) AS query
FROM news.pipeline_locks l
JOIN pg_locks k ON k.locktype = 'transactionid' AND k.transactionid = l.xmax AND k.granted
JOIN pg_stat_activity a ON a.pid = k.pid
WHERE l.name = %(name)s
LIMIT 1;
