-- Why an article is in its event, and how it got there.
-- event_articles.evidence: the similarity's strongest shared features at placement
--   ({"names": [...], "places": [...], "terms": [...], "dates": [...], "numbers": [...]}).
-- event_moves: every placement, move and detachment of an article, with time and reason,
--   so an event's history (grew, split, merged) can be told after the fact.

ALTER TABLE event_articles ADD COLUMN evidence jsonb;

CREATE TABLE event_moves (
    id          bigserial PRIMARY KEY,
    article_id  bigint NOT NULL REFERENCES articles(id),
    from_event  bigint REFERENCES events(id),  -- NULL: the article's first placement
    to_event    bigint REFERENCES events(id),  -- NULL: taken out of events (re-extracted)
    similarity  real,
    reason      text NOT NULL,
    moved_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_moves_article_idx ON event_moves (article_id, id);
CREATE INDEX event_moves_from_idx ON event_moves (from_event) WHERE from_event IS NOT NULL;
CREATE INDEX event_moves_to_idx ON event_moves (to_event) WHERE to_event IS NOT NULL;

COMMENT ON TABLE event_moves IS
    'History of event memberships: first placements, moves by re-clustering, detachments.';
COMMENT ON COLUMN events.retired_at IS
    'When the event lost its last article (to merged_into, or to re-extraction).';
