-- How many runs ended this raw document in 'failed' (transient failures are retried, a
-- bounded number of times), and the last reason.
SELECT count(*) AS attempts,
       (array_agg(detail ORDER BY run_id DESC))[1] AS last_detail
FROM news.document_outcomes
WHERE raw_document_id = %(id)s AND state = 'failed';
