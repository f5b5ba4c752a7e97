-- Articles placed in events leave the queue.
DELETE FROM news.event_queue WHERE article_id = ANY(%(ids)s);
