-- Indexes for the read-only News view inside Airflow (plugins/newsflow/web): every page is a
-- keyset page, i.e. an index range scan that stops after one page of rows, however large the
-- tables grow. A missing date sorts last (-infinity), so the sort key is never NULL and a
-- keyset cursor is always a plain row comparison.

-- Live events, most recent first (events page).
CREATE INDEX events_live_recent_idx
    ON events ((coalesce(last_published_at, '-infinity'::timestamptz)), id)
    WHERE retired_at IS NULL;

-- An event's articles, most recent first (preview on the events page, event page).
CREATE INDEX event_articles_event_recent_idx
    ON event_articles (event_id, (coalesce(published_at, '-infinity'::timestamptz)), article_id);

-- Copies recorded against an article, in order (article page); covers duplicate_of alone.
CREATE INDEX article_duplicates_of_id_idx ON article_duplicates (duplicate_of, id);
DROP INDEX article_duplicates_of_idx;

-- One run's quarantine, newest first (quarantine page filtered by run, run page examples).
CREATE INDEX quarantine_run_idx ON quarantine (run_id, id);

-- Feeds by name (feed health page).
CREATE INDEX feeds_name_idx ON feeds (name, id);
