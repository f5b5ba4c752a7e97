-- Articles waiting to be clustered into events. cluster_pending used to find them with an
-- anti-join over every article (a full scan per batch, growing with history); the queue holds
-- only the waiting ones. A trigger queues every new article, so no loader has to remember it;
-- re-extracted articles are queued again when they leave their event.

CREATE TABLE event_queue (
    article_id      bigint PRIMARY KEY REFERENCES articles(id),
    -- the event a re-extracted article was taken out of: if that event was left empty (and so
    -- retired), the article revives it instead of starting a new one, so its id stays
    previous_event  bigint REFERENCES events(id),
    queued_at       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION queue_for_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO news.event_queue (article_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;

CREATE TRIGGER articles_queue_for_events AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION queue_for_events();

INSERT INTO event_queue (article_id)
SELECT a.id FROM articles a
WHERE NOT EXISTS (SELECT 1 FROM event_articles ea WHERE ea.article_id = a.id);

COMMENT ON TABLE event_queue IS 'Articles not yet in an event (filled by a trigger on articles).';

-- Bumped by every writer of event_docfreq/event_corpus, so a clusterer that kept document
-- frequencies and event caches across its batches sees whether anyone else wrote in between.
ALTER TABLE event_corpus ADD COLUMN generation bigint NOT NULL DEFAULT 0;
