-- Memberships whose stored features are older than %(version)s (none stored: version 1), after
-- (%(after_event)s, %(after_article)s) in (event, article) order, so that an event's members come
-- in one batch and it is rebuilt once; with what featurize() reads of their article (as
-- events/unclustered_articles gives it to the clusterer).
SELECT ea.article_id, ea.event_id, ea.features, a.title, a.title_derived, a.text,
       coalesce(a.published_at, a.first_seen_at) AS published_at
FROM news.event_articles ea
JOIN news.articles a ON a.id = ea.article_id
WHERE (ea.event_id, ea.article_id) > (%(after_event)s, %(after_article)s)
  AND coalesce((ea.features ->> 'version')::int, 1) < %(version)s
ORDER BY ea.event_id, ea.article_id
LIMIT %(limit)s;
