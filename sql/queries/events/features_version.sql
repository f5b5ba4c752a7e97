-- The features version every stored membership has (see migration 0024).
SELECT features_version FROM news.event_corpus;
