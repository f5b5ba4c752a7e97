-- Recreate a key of news.minhash_bands after a bulk load (name and definition composed in from the catalog, see band_constraints).
ALTER TABLE news.minhash_bands ADD CONSTRAINT {name} {definition};
