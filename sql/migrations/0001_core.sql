-- newsflow core schema: sources, raw archive, articles, duplicates, quarantine, runs, events.
-- Every document ends in exactly one state per run: see document_outcomes.

CREATE TABLE sources (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    homepage    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feeds (
    id                    bigserial PRIMARY KEY,
    url                   text NOT NULL UNIQUE,
    name                  text NOT NULL,
    source_id             bigint REFERENCES sources(id),
    enabled               boolean NOT NULL DEFAULT true,
    etag                  text,
    last_modified         text,
    body_hash             text,
    last_polled_at        timestamptz,
    last_success_at       timestamptz,
    next_poll_at          timestamptz NOT NULL DEFAULT now(),
    poll_interval_seconds integer NOT NULL DEFAULT 900
        CHECK (poll_interval_seconds BETWEEN 600 AND 86400),
    last_status           text,       -- 'ok', 'not-modified', 'unchanged-body', 'error', 'paused'
    last_http_status      integer,
    last_error            text,
    failure_score         real NOT NULL DEFAULT 0,   -- weighted: hard 1.0, soft 0.5, temporary 0.25
    consecutive_failures  integer NOT NULL DEFAULT 0,
    paused_at             timestamptz,
    paused_reason         text,
    entries_seen_total    integer NOT NULL DEFAULT 0,
    entries_new_last      integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest_runs (
    id              bigserial PRIMARY KEY,
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    logical_date    timestamptz,
    interval_start  timestamptz,
    interval_end    timestamptz,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text NOT NULL DEFAULT 'running',
    documents_seen  integer NOT NULL DEFAULT 0,
    documents_new   integer NOT NULL DEFAULT 0,
    articles_stored integer NOT NULL DEFAULT 0,
    articles_updated integer NOT NULL DEFAULT 0,
    duplicates      integer NOT NULL DEFAULT 0,
    quarantined     integer NOT NULL DEFAULT 0,
    failed          integer NOT NULL DEFAULT 0,
    validation      jsonb,
    UNIQUE (dag_id, run_id)
);

-- The raw archive: the contract between acquiring and processing.
CREATE TABLE raw_documents (
    id              bigserial PRIMARY KEY,
    content_hash    text NOT NULL UNIQUE,           -- sha256 of the raw bytes
    origin          text NOT NULL CHECK (origin IN ('file', 'feed', 'page')),
    locator         text NOT NULL,                  -- inbox-relative path or fetched URL
    url             text,
    feed_id         bigint REFERENCES feeds(id),
    media_type      text,                           -- 'text/plain', 'text/html', 'application/jsonl', ...
    charset         text,
    http_status     integer,
    http_headers    jsonb,
    size_bytes      bigint NOT NULL,
    body            bytea,                          -- zlib-compressed; NULL when over the size cap
    body_stored     boolean NOT NULL DEFAULT true,
    partition_date  date,                           -- inbox date folder or fetch date (backfills)
    first_run_id    bigint REFERENCES ingest_runs(id),
    fetched_at      timestamptz NOT NULL DEFAULT now(),
    entry_meta      jsonb                           -- feed entry title/date/author/summary
);
CREATE INDEX raw_documents_partition_idx ON raw_documents (partition_date);
CREATE INDEX raw_documents_url_idx ON raw_documents (url);

CREATE TABLE articles (
    id                  bigserial PRIMARY KEY,
    raw_document_id     bigint NOT NULL REFERENCES raw_documents(id),
    item_no             integer NOT NULL DEFAULT 0,   -- line number inside a .jsonl file
    source_id           bigint REFERENCES sources(id),
    url                 text,
    canonical_url       text UNIQUE,
    title               text NOT NULL,
    title_derived       boolean NOT NULL DEFAULT false,
    byline              text,
    published_at        timestamptz,
    published_at_source text,
    language            text,
    text                text NOT NULL,
    summary_points      jsonb NOT NULL DEFAULT '[]',
    cited_sources       jsonb NOT NULL DEFAULT '[]',
    repairs             jsonb NOT NULL DEFAULT '[]',
    word_count          integer NOT NULL,
    content_hash        text NOT NULL UNIQUE,         -- sha256 of the normalised text
    minhash             bytea,                        -- MinHash signature (uint32 x num_perm)
    extractor_version   text NOT NULL,
    version             integer NOT NULL DEFAULT 1,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    first_run_id        bigint REFERENCES ingest_runs(id),
    UNIQUE (raw_document_id, item_no)
);
CREATE INDEX articles_published_idx ON articles (published_at, id);
CREATE INDEX articles_source_published_idx ON articles (source_id, published_at);

-- Earlier versions of an article (page changed, re-extraction with a new extractor version).
CREATE TABLE article_versions (
    article_id          bigint NOT NULL REFERENCES articles(id),
    version             integer NOT NULL,
    raw_document_id     bigint NOT NULL REFERENCES raw_documents(id),
    title               text NOT NULL,
    text                text NOT NULL,
    content_hash        text NOT NULL,
    extractor_version   text NOT NULL,
    superseded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version)
);

-- The duplicate ledger: a duplicate is recorded here and never becomes a second article.
CREATE TABLE article_duplicates (
    id                  bigserial PRIMARY KEY,
    raw_document_id     bigint NOT NULL REFERENCES raw_documents(id),
    item_no             integer NOT NULL DEFAULT 0,
    url                 text,
    canonical_url       text,
    title               text,
    content_hash        text NOT NULL,
    published_at        timestamptz,
    duplicate_of        bigint NOT NULL REFERENCES articles(id),
    method              text NOT NULL CHECK (method IN ('url', 'content-hash', 'near-dup', 'title')),
    score               real NOT NULL,
    threshold           real NOT NULL,
    run_id              bigint REFERENCES ingest_runs(id),
    detected_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (raw_document_id, item_no)
);
CREATE INDEX article_duplicates_of_idx ON article_duplicates (duplicate_of);

-- LSH bands of each article's MinHash: a near-duplicate lookup is an index query.
CREATE TABLE minhash_bands (
    band        smallint NOT NULL,
    hash        bigint NOT NULL,
    article_id  bigint NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (band, hash, article_id)
);
CREATE INDEX minhash_bands_article_idx ON minhash_bands (article_id);

CREATE TABLE quarantine (
    id               bigserial PRIMARY KEY,
    raw_document_id  bigint NOT NULL REFERENCES raw_documents(id),
    item_no          integer NOT NULL DEFAULT 0,
    stage            text NOT NULL CHECK (stage IN ('acquire', 'decode', 'extract', 'validate', 'load')),
    reasons          jsonb NOT NULL,                 -- list of human-readable reasons
    record           jsonb,                          -- what was extracted, for inspection
    run_id           bigint REFERENCES ingest_runs(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (raw_document_id, item_no)
);

-- One row per (run, document item): the state it ended in within that run.
CREATE TABLE document_outcomes (
    run_id           bigint NOT NULL REFERENCES ingest_runs(id) ON DELETE CASCADE,
    raw_document_id  bigint NOT NULL REFERENCES raw_documents(id),
    item_no          integer NOT NULL DEFAULT 0,
    state            text NOT NULL CHECK (state IN
                       ('pending', 'stored', 'updated', 'duplicate', 'quarantined', 'failed', 'already-ingested')),
    article_id       bigint REFERENCES articles(id),
    detail           text,
    PRIMARY KEY (run_id, raw_document_id, item_no)
);

CREATE TABLE events (
    id                  bigserial PRIMARY KEY,
    title               text NOT NULL,
    summary             text,
    first_published_at  timestamptz,
    last_published_at   timestamptz,
    article_count       integer NOT NULL DEFAULT 0,
    source_count        integer NOT NULL DEFAULT 0,
    keywords            jsonb NOT NULL DEFAULT '[]',
    places              jsonb NOT NULL DEFAULT '[]',
    state               jsonb,                       -- clustering state (centroid, entities)
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_articles (
    article_id  bigint PRIMARY KEY REFERENCES articles(id),
    event_id    bigint NOT NULL REFERENCES events(id),
    similarity  real NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_articles_event_idx ON event_articles (event_id);
