-- The LSH bands of every article in the batch (new or new version; old ones cleared first).
INSERT INTO news.minhash_bands (band, hash, article_id)
SELECT DISTINCT band, hash, article_id FROM stage_bands
ON CONFLICT DO NOTHING;
