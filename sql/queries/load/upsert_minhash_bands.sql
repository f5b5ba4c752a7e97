-- Replace the LSH bands of every article in the batch (new or new version).
WITH cleared AS (
    DELETE FROM news.minhash_bands b USING (SELECT DISTINCT article_id FROM stage_bands) s
    WHERE b.article_id = s.article_id
)
INSERT INTO news.minhash_bands (band, hash, article_id)
SELECT DISTINCT band, hash, article_id FROM stage_bands
ON CONFLICT DO NOTHING;
