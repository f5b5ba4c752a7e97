-- Stored articles sharing at least one LSH band key with the incoming article (index lookups).
SELECT DISTINCT b.article_id FROM news.minhash_bands b
JOIN unnest(%(bands)s::smallint[], %(hashes)s::bigint[]) AS k(band, hash)
  ON b.band = k.band AND b.hash = k.hash;
