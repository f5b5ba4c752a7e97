SELECT id, name, url, websub_hub, websub_topic, websub_state, websub_secret,
       websub_lease_until
FROM news.feeds WHERE id = %(id)s
