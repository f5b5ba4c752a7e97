-- Bulk-load the LSH band keys of the synthetic stored articles, as COPY text.
COPY news.minhash_bands (band, hash, article_id) FROM STDIN;
