-- The keys of news.minhash_bands (primary, unique, foreign) and their definitions, foreign keys last: what a bulk load drops and recreates.
SELECT conname, pg_get_constraintdef(oid) AS definition
FROM pg_constraint
WHERE conrelid = 'news.minhash_bands'::regclass AND contype IN ('p', 'u', 'f')
ORDER BY contype = 'f', conname;
