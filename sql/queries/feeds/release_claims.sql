-- Give back claims this connection took but did not fetch (the poll's budget ran out).
UPDATE news.pages SET claimed_at = NULL, claimed_by_pid = NULL, claimed_by_backend_start = NULL
WHERE url = ANY(%(urls)s) AND claimed_by_pid = pg_backend_pid()
