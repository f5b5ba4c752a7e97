-- Record a feed entry; whether it is new and the hash it had before (NULL when new).
INSERT INTO news.feed_entries AS e (feed_id, entry_url, entry_id, title, published_at, author,
                                    summary, entry_hash)
VALUES (%(feed_id)s, %(url)s, %(entry_id)s, %(title)s, %(published_at)s, %(author)s,
        %(summary)s, %(entry_hash)s)
ON CONFLICT (feed_id, entry_url) DO UPDATE SET last_seen_at = now(),
    entry_id = EXCLUDED.entry_id, title = EXCLUDED.title,
    published_at = EXCLUDED.published_at, author = EXCLUDED.author,
    summary = EXCLUDED.summary, entry_hash = EXCLUDED.entry_hash
RETURNING (xmax = 0) AS inserted,
    (SELECT entry_hash FROM news.feed_entries
      WHERE feed_id = e.feed_id AND entry_url = e.entry_url) AS old_hash
