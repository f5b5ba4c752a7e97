-- How many of a run's articles were found duplicates, by method (exact, near-dup, ...).
SELECT method, count(*) AS n
FROM news.article_duplicates
WHERE run_id = %(run_id)s
GROUP BY method;
