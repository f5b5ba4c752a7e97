-- The other indexes of news.minhash_bands (not behind a key) and their CREATE INDEX statements: what a bulk load drops and recreates.
SELECT indexname, indexdef
FROM pg_indexes
WHERE schemaname = 'news'
  AND tablename = 'minhash_bands'
  AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'news.minhash_bands'::regclass);
