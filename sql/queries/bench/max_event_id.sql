-- The highest event id so far (0 without events): the synthetic history's events are numbered after it.
SELECT coalesce(max(id), 0) AS m FROM news.events;
