-- The bands of every article in the batch go before its new ones are inserted
-- (load/upsert_minhash_bands). Two statements on purpose: in one statement (a DELETE in a
-- CTE) the insert sees the old rows, skips the identical keys, and the delete then removes
-- them, leaving a re-versioned article with no bands at all.
DELETE FROM news.minhash_bands b USING (SELECT DISTINCT article_id FROM stage_bands) s
WHERE b.article_id = s.article_id;
