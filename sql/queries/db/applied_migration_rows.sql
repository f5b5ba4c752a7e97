-- Applied migrations, in order, for `newsflow db status`.
SELECT version, name, checksum, applied_at FROM news.schema_migrations ORDER BY version;
