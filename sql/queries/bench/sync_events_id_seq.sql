-- Move the events id sequence past the ids a bulk load wrote itself.
SELECT setval('news.events_id_seq', (SELECT max(id) FROM news.events));
