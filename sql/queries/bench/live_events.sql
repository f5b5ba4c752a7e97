-- How many events are live (not retired) after clustering.
SELECT count(*) AS n FROM news.events WHERE retired_at IS NULL;
