-- Events re-cluster their neighbourhood on every arrival: an article may move to another
-- event, and an event left without members is retired, pointing at where its articles went.
-- Each membership keeps the article's clustering features, so re-clustering reads them back
-- instead of re-extracting the text.

ALTER TABLE event_articles ADD COLUMN features jsonb;
ALTER TABLE event_articles ADD COLUMN source text;
ALTER TABLE event_articles ADD COLUMN published_at timestamptz;
CREATE INDEX event_articles_event_time_idx ON event_articles (event_id, published_at DESC, article_id DESC);

ALTER TABLE events ADD COLUMN merged_into bigint REFERENCES events(id);
ALTER TABLE events ADD COLUMN retired_at timestamptz;
COMMENT ON COLUMN events.merged_into IS
    'Set when the event lost all its articles to another event during re-clustering.';
