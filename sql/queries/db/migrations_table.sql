-- The migration runner's own bookkeeping (before the first migration can be applied).
CREATE SCHEMA IF NOT EXISTS news;
CREATE TABLE IF NOT EXISTS news.schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS news.schema_views (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
-- The pipeline's locks (row locks; see migration 0006); migrating holds 'migrate'.
CREATE TABLE IF NOT EXISTS news.pipeline_locks (
    name        text PRIMARY KEY,
    description text NOT NULL);
INSERT INTO news.pipeline_locks (name, description)
VALUES ('migrate', 'applying migrations and re-creating views')
ON CONFLICT (name) DO NOTHING;
