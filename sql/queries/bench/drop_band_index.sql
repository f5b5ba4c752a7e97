-- Drop an index of news.minhash_bands before a bulk load (the name: an identifier composed in by bench.env.with_identifiers).
DROP INDEX news.{name};
