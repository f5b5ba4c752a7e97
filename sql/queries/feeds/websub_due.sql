-- Feeds whose WebSub subscription must be requested or renewed now.
SELECT id, name, url, websub_hub, websub_topic, websub_state, websub_lease_until
FROM news.feeds
WHERE enabled AND paused_at IS NULL AND websub_hub IS NOT NULL
  AND (websub_state IN ('discovered', 'failed')
       OR (websub_state = 'requested'
           AND websub_requested_at < now() - make_interval(secs => %(retry_after)s))
       OR (websub_state = 'subscribed'
           AND websub_lease_until < now() + make_interval(secs => %(renew_margin)s)))
ORDER BY id
