-- Event clustering: an inverted index from feature keys to events (candidate events are an
-- index lookup, never a scan of all events) and incremental document frequencies for IDF.

CREATE TABLE event_keys (
    key       text NOT NULL,            -- 't:term', 'e:name', 'n:fact'
    event_id  bigint NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    PRIMARY KEY (key, event_id)
);
CREATE INDEX event_keys_event_idx ON event_keys (event_id);
CREATE INDEX events_last_published_idx ON events (last_published_at);

CREATE TABLE event_docfreq (
    key  text PRIMARY KEY,
    df   integer NOT NULL
);

-- How many articles the document frequencies count (one row).
CREATE TABLE event_corpus (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    n_docs  integer NOT NULL DEFAULT 0
);
INSERT INTO event_corpus (id, n_docs) VALUES (true, 0);
