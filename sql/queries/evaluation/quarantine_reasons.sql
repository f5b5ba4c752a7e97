-- Quarantined items by first reason.
SELECT q.reasons->>0 AS reason, count(*) AS n
FROM news.quarantine q GROUP BY 1 ORDER BY n DESC, reason;
