-- Register a feed; no row when the URL is already registered (renaming is explicit).
INSERT INTO news.feeds (url, name, source_id) VALUES (%(url)s, %(name)s, %(source_id)s)
ON CONFLICT (url) DO NOTHING
RETURNING id
