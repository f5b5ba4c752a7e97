-- The latency bench's feed, subscribed as if its hub had verified the callback.
INSERT INTO news.feeds (url, name, websub_hub, websub_topic, websub_state, websub_secret)
VALUES (%(url)s, 'Bench Herald', %(hub)s, %(url)s, 'subscribed', %(secret)s)
RETURNING id;
