-- The normalised headline of each article (newsflow.neardup.title_key), for deduplication's
-- same-title rule: "the same headline from the same source within three days". Matching it
-- used to read every headline of the source in the window and normalise each in code, for
-- every new document, so a source publishing thousands of articles a day made each decision
-- cost thousands of rows. Now the key is stored with the article and looked up by index.
-- Rows stored before this migration keep NULL and are still compared in code; should
-- title_key() ever change, setting the column back to NULL keeps the rule exact.
ALTER TABLE articles ADD COLUMN title_key text;
CREATE INDEX articles_source_title_key_idx ON articles (source_id, title_key, published_at)
    WHERE NOT title_derived;
