-- A retired event is no longer a candidate.
DELETE FROM news.event_keys WHERE event_id = %(id)s;
