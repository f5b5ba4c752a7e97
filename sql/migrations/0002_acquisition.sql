-- Acquisition: feed entries, article pages, per-host politeness, poll log, sightings.

-- Every entry a feed listed (the same URL in two feeds is two rows here, one article).
CREATE TABLE feed_entries (
    feed_id          bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_url        text NOT NULL,
    entry_id         text,
    title            text,
    published_at     timestamptz,
    author           text,
    summary          text,
    entry_hash       text NOT NULL,      -- changes when the feed's entry changes
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed_id, entry_url)
);
CREATE INDEX feed_entries_url_idx ON feed_entries (entry_url);

-- One row per article page URL: validators for conditional GET and which run fetched it last.
CREATE TABLE pages (
    url              text PRIMARY KEY,
    etag             text,
    last_modified    text,
    last_fetched_at  timestamptz,
    last_outcome     text,
    last_error       text,
    last_http_status integer,
    raw_document_id  bigint REFERENCES raw_documents(id),
    claimed_by_run   bigint REFERENCES ingest_runs(id),
    attempts         integer NOT NULL DEFAULT 0   -- fetches that archived nothing, in a row
);

-- Per-host politeness shared by every worker process: the next moment a request may start.
CREATE TABLE host_slots (
    host             text PRIMARY KEY,
    next_allowed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feed_polls (
    id               bigserial PRIMARY KEY,
    feed_id          bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    run_id           bigint REFERENCES ingest_runs(id),
    polled_at        timestamptz NOT NULL DEFAULT now(),
    outcome          text NOT NULL,
    http_status      integer,
    error            text,
    entries_total    integer NOT NULL DEFAULT 0,
    entries_new      integer NOT NULL DEFAULT 0,
    pages_fetched    integer NOT NULL DEFAULT 0,
    pages_failed     integer NOT NULL DEFAULT 0,
    elapsed_ms       integer
);
CREATE INDEX feed_polls_feed_idx ON feed_polls (feed_id, polled_at DESC);

-- Every file or URL a run saw, with the raw document its bytes are archived as. Two files with
-- the same bytes share one raw document (and one outcome) but each has its own sighting.
CREATE TABLE document_sightings (
    run_id           bigint NOT NULL REFERENCES ingest_runs(id) ON DELETE CASCADE,
    locator          text NOT NULL,
    raw_document_id  bigint NOT NULL REFERENCES raw_documents(id),
    seen_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, locator)
);
CREATE INDEX document_sightings_raw_idx ON document_sightings (raw_document_id);
