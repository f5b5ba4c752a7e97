-- Put an article in an event, or move it there (assigned_at: when it last changed event).
INSERT INTO news.event_articles
    (article_id, event_id, similarity, features, source, published_at, evidence)
VALUES (%(article_id)s, %(event_id)s, %(similarity)s, %(features)s, %(source)s,
        %(published_at)s, %(evidence)s)
ON CONFLICT (article_id) DO UPDATE SET
    event_id = EXCLUDED.event_id,
    similarity = EXCLUDED.similarity,
    features = EXCLUDED.features,
    source = EXCLUDED.source,
    published_at = EXCLUDED.published_at,
    evidence = EXCLUDED.evidence,
    assigned_at = CASE WHEN news.event_articles.event_id = EXCLUDED.event_id
                       THEN news.event_articles.assigned_at ELSE now() END;
