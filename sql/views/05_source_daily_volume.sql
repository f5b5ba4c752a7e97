DROP VIEW IF EXISTS news.source_daily_volume CASCADE;
CREATE VIEW news.source_daily_volume AS
WITH stored AS (
    SELECT coalesce(s.name, '(unknown)') AS source,
           (coalesce(a.published_at, a.first_seen_at) AT TIME ZONE 'UTC')::date AS day, count(*) AS articles
    FROM news.articles a LEFT JOIN news.sources s ON s.id = a.source_id GROUP BY 1, 2
), dups AS (
    SELECT coalesce(s.name, '(unknown)') AS source,
           (coalesce(d.published_at, d.detected_at) AT TIME ZONE 'UTC')::date AS day, count(*) AS duplicates
    FROM news.article_duplicates d
    LEFT JOIN news.sources s ON s.id = d.source_id GROUP BY 1, 2
)
SELECT coalesce(stored.source, dups.source) AS source, coalesce(stored.day, dups.day) AS day,
       coalesce(stored.articles, 0) AS articles, coalesce(dups.duplicates, 0) AS duplicates
FROM stored FULL JOIN dups ON dups.source = stored.source AND dups.day = stored.day
ORDER BY day DESC, source;
COMMENT ON VIEW news.source_daily_volume IS 'Articles stored and copies recorded as duplicates, per publisher (a copy''s own) and UTC day '
    '(publication date, else first seen).';
