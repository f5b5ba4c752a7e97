SELECT method, count(*) AS n, round(avg(score)::numeric, 3) AS mean_score
FROM news.article_duplicates GROUP BY method ORDER BY method;
