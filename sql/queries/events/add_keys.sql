-- Register an event under inverted-index keys (idempotent).
INSERT INTO news.event_keys (key, event_id)
SELECT k, %(event_id)s FROM unnest(%(keys)s::text[]) k
ON CONFLICT DO NOTHING;
