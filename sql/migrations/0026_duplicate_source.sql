-- Each recorded duplicate keeps its own publisher: source_daily_volume counted a copy under the
-- original's source, and a publisher whose items were all copies appeared nowhere. Rows recorded
-- before this migration keep NULL (their source was not stored; re-extraction fills none).
ALTER TABLE article_duplicates ADD COLUMN source_id bigint REFERENCES sources(id);
