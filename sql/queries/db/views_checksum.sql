SELECT checksum FROM news.schema_views;
