-- A poll saw the feed advertise a hub: remember it (a new hub starts a new subscription).
UPDATE news.feeds SET
    websub_state = CASE WHEN websub_hub IS DISTINCT FROM %(hub)s
                          OR websub_topic IS DISTINCT FROM %(topic)s
                          OR websub_state IS NULL
                        THEN 'discovered' ELSE websub_state END,
    websub_hub = %(hub)s, websub_topic = %(topic)s
WHERE id = %(id)s
