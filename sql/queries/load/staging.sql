-- The staging tables a batch is COPYed into before the upserts (load/upsert_*.sql) run.
-- Their columns are the fields of the row dataclasses in newsflow/staging.py, in that order
-- (a test holds the two together). Dropped at commit; emptied when a transaction loads twice.
CREATE TEMP TABLE IF NOT EXISTS stage_sources (name text) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS stage_articles (
    id bigint, raw_document_id bigint, item_no integer, source_name text, url text,
    canonical_url text, title text, title_derived boolean, byline text,
    published_at timestamptz, published_at_source text, language text, text text,
    summary_points jsonb, cited_sources jsonb, repairs jsonb, word_count integer,
    content_hash text, minhash bytea, extractor_version text, first_run_id bigint, title_key text
) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS stage_bands (band smallint, hash bigint, article_id bigint)
    ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS stage_duplicates (
    raw_document_id bigint, item_no integer, url text, canonical_url text, title text,
    content_hash text, published_at timestamptz, duplicate_of bigint, method text,
    score real, threshold real, run_id bigint, source_name text
) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS stage_quarantine (
    raw_document_id bigint, item_no integer, stage text, reasons jsonb, record jsonb,
    run_id bigint
) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS stage_outcomes (
    run_id bigint, raw_document_id bigint, item_no integer, state text, article_id bigint,
    detail text
) ON COMMIT DROP;
TRUNCATE stage_sources, stage_articles, stage_bands, stage_duplicates, stage_quarantine,
    stage_outcomes;
