SELECT version, checksum FROM news.schema_migrations;
