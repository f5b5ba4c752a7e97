-- Drop a key of news.minhash_bands before a bulk load (the name: an identifier composed in by bench.env.with_identifiers).
ALTER TABLE news.minhash_bands DROP CONSTRAINT {name};
