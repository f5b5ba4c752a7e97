-- Bulk-load the candidate index keys of an already clustered synthetic history's events.
COPY news.event_keys (key, event_id) FROM STDIN;
