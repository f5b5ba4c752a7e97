-- Clustering states of the given events.
SELECT id, state FROM news.events WHERE id = ANY(%(ids)s);
