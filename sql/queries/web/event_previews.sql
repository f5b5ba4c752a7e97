-- For each event of a page: its latest articles and the sources of its latest members (both on
-- index event_articles_event_recent_idx; a 100,000-article event costs what a small one does).
SELECT ev.id AS event_id, x.article_id, a.title, a.published_at, a.canonical_url, x.source,
       x.similarity,
       (SELECT array_agg(DISTINCT m.source ORDER BY m.source) FROM (
            SELECT ea.source FROM news.event_articles ea WHERE ea.event_id = ev.id
            ORDER BY coalesce(ea.published_at, '-infinity'::timestamptz) DESC, ea.article_id DESC
            LIMIT %(source_sample)s) m WHERE m.source IS NOT NULL) AS sources
FROM unnest(%(event_ids)s::bigint[]) AS ev(id)
LEFT JOIN LATERAL (
    SELECT ea.article_id, ea.source, ea.similarity,
           coalesce(ea.published_at, '-infinity'::timestamptz) AS sort_at
    FROM news.event_articles ea
    WHERE ea.event_id = ev.id
    ORDER BY coalesce(ea.published_at, '-infinity'::timestamptz) DESC, ea.article_id DESC
    LIMIT %(per_event)s
) x ON true
LEFT JOIN news.articles a ON a.id = x.article_id
ORDER BY ev.id, x.sort_at DESC, x.article_id DESC;
