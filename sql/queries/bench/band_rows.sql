-- How many LSH band rows are stored.
SELECT count(*) AS n FROM news.minhash_bands;
