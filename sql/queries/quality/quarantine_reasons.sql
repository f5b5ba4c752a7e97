-- The run's quarantine reasons, most frequent first (the leading words of each reason, so
-- that "text length 58 outside ..." and "text length 61 outside ..." count as one).
SELECT q.stage, regexp_replace(reason, '[0-9.]+', 'N', 'g') AS reason, count(*) AS n
FROM news.quarantine q, jsonb_array_elements_text(q.reasons) AS reason
WHERE q.run_id = %(run_id)s
GROUP BY 1, 2
ORDER BY n DESC, 1, 2
LIMIT %(limit)s;
