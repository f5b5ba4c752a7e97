-- Whether the migration bookkeeping exists yet (`newsflow db status` on a new database).
SELECT to_regclass('news.schema_migrations') IS NOT NULL AS present;
