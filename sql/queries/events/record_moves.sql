-- Append placements/moves to the membership history (one row per article).
INSERT INTO news.event_moves (article_id, from_event, to_event, similarity, reason)
SELECT * FROM unnest(%(article_ids)s::bigint[], %(from_events)s::bigint[],
                     %(to_events)s::bigint[], %(similarities)s::real[], %(reasons)s::text[]);
