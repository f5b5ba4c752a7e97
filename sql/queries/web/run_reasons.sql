-- The quarantine reasons of one run, counted by kind (numbers folded, so "text length 12"
-- and "text length 87" are one kind), most frequent first (index quarantine_run_idx).
SELECT q.stage, regexp_replace(reason, '[0-9]+(\.[0-9]+)?', 'N', 'g') AS reason,
       count(*) AS documents, min(reason) AS example
FROM news.quarantine q
CROSS JOIN LATERAL jsonb_array_elements_text(q.reasons) AS reason
WHERE q.run_id = %(ingest_run_id)s
GROUP BY 1, 2
ORDER BY count(*) DESC, 2
LIMIT %(limit)s;
