-- One event, live or retired (then where its articles went), with the sources of its latest
-- members (bounded: the page says how many more events.source_count counts).
SELECT e.id, e.title, e.summary, e.first_published_at, e.last_published_at, e.article_count,
       e.source_count, e.places, e.keywords, e.created_at, e.updated_at, e.retired_at,
       e.merged_into,
       (SELECT array_agg(DISTINCT m.source ORDER BY m.source) FROM (
            SELECT ea.source FROM news.event_articles ea WHERE ea.event_id = e.id
            ORDER BY coalesce(ea.published_at, '-infinity'::timestamptz) DESC, ea.article_id DESC
            LIMIT %(source_sample)s) m WHERE m.source IS NOT NULL) AS sources
FROM news.events e
WHERE e.id = %(event_id)s;
