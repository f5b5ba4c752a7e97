-- Fresh planner statistics after bulk-loading the lookup bench's history.
ANALYZE news.articles, news.minhash_bands;
