-- Migrations and views name their objects without a schema: they go to news.
SET LOCAL search_path TO news, public;
