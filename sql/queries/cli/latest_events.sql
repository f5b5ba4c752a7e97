SELECT * FROM news.latest_events LIMIT %(limit)s;
