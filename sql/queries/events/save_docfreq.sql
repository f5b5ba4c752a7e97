-- Document frequencies of the keys changed since the last save.
INSERT INTO news.event_docfreq (key, df)
SELECT * FROM unnest(%(keys)s::text[], %(dfs)s::int[])
ON CONFLICT (key) DO UPDATE SET df = EXCLUDED.df;
