-- Take a pipeline lock until the transaction ends (needs UPDATE on pipeline_locks: the
-- read-only role cannot take it).
SELECT name FROM news.pipeline_locks WHERE name = %(name)s FOR UPDATE;
