-- The views were re-created from files with this combined checksum.
INSERT INTO news.schema_views (id, checksum) VALUES (true, %(checksum)s)
ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now();
