-- Document frequencies of every feature key.
SELECT key, df FROM news.event_docfreq;
