-- Stored articles under each of these LSH band keys (index lookups): one article's keys, or a
-- whole batch's at once.
SELECT DISTINCT b.band, b.hash, b.article_id FROM news.minhash_bands b
JOIN unnest(%(bands)s::smallint[], %(hashes)s::bigint[]) AS k(band, hash)
  ON b.band = k.band AND b.hash = k.hash;
