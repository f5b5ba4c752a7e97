-- Articles to be clustered again (re-extracted), with the event each was taken out of.
INSERT INTO news.event_queue (article_id, previous_event)
SELECT * FROM unnest(%(ids)s::bigint[], %(previous)s::bigint[])
ON CONFLICT (article_id) DO UPDATE SET previous_event = EXCLUDED.previous_event;
