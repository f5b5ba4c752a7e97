-- Stored articles under each of these LSH band keys: a batch's candidate lookups at once
-- (band_candidates.sql, one article's keys).
SELECT DISTINCT b.band, b.hash, b.article_id FROM news.minhash_bands b
JOIN unnest(%(bands)s::smallint[], %(hashes)s::bigint[]) AS k(band, hash)
  ON b.band = k.band AND b.hash = k.hash;
