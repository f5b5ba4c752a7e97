-- Document frequencies of the given keys (absent keys: 0).
SELECT key, df FROM news.event_docfreq WHERE key = ANY(%(keys)s);
