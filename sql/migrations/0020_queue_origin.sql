-- Articles pushed onto a Redis stream (newsflow.sources.queue) are archived with origin
-- 'queue' and the locator redis://<stream>/<entry id>.
ALTER TABLE raw_documents DROP CONSTRAINT IF EXISTS raw_documents_origin_check;
ALTER TABLE raw_documents ADD CONSTRAINT raw_documents_origin_check
    CHECK (origin IN ('file', 'feed', 'page', 'queue'));
