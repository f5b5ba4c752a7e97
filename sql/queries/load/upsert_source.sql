-- One source (publisher) by name.
INSERT INTO news.sources (name) VALUES (%(name)s) ON CONFLICT (name) DO NOTHING;
