-- WebSub (W3C): a feed that advertises a hub can be pushed to instead of waiting for its poll.
-- Polling stays the fallback: a push only makes the feed due now.
ALTER TABLE feeds
    ADD COLUMN websub_hub          text,        -- hub URL (<link rel="hub"> or Link: rel=hub)
    ADD COLUMN websub_topic        text,        -- topic URL (rel="self", else the feed URL)
    ADD COLUMN websub_state        text CHECK (websub_state IN
        ('discovered', 'requested', 'subscribed', 'denied', 'failed')),
    ADD COLUMN websub_secret       text,        -- HMAC key given to the hub (X-Hub-Signature)
    ADD COLUMN websub_requested_at timestamptz,
    ADD COLUMN websub_lease_until  timestamptz,
    ADD COLUMN websub_last_push_at timestamptz,
    ADD COLUMN websub_error        text;
