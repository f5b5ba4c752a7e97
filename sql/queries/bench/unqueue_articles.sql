-- Take articles off the clustering queue (the synthetic history is stored clustered already).
DELETE FROM news.event_queue WHERE article_id = ANY(%(ids)s);
