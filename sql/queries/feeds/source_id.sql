-- The id of a publisher, created on first use.
INSERT INTO news.sources (name) VALUES (%(name)s)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id
