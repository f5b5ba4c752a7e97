-- Claim up to `limit` wanted pages of a feed that nobody alive is fetching (oldest entries
-- first), for this connection; with their validators and the entry they came from.
WITH candidates AS (
    SELECT p.url, e.entry_id, e.title, e.published_at, e.author, e.summary, e.first_seen_at
    FROM news.pages p
    JOIN news.feed_entries e ON e.entry_url = p.url AND e.feed_id = %(feed_id)s
    WHERE p.wanted AND p.attempts < %(max_attempts)s
      AND NOT news.page_claim_is_live(p, %(lease)s)
    ORDER BY e.first_seen_at, e.entry_url
    LIMIT %(limit)s
    FOR UPDATE OF p SKIP LOCKED
)
UPDATE news.pages p
   SET claimed_by_run = %(run_id)s, claimed_at = now(), claimed_by_pid = pg_backend_pid(),
       claimed_by_backend_start =
           (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())
  FROM candidates c
 WHERE p.url = c.url
-- validators only for a page archived before: "not modified" must mean "the copy we hold"
RETURNING p.url,
          CASE WHEN p.raw_document_id IS NOT NULL THEN p.etag END AS etag,
          CASE WHEN p.raw_document_id IS NOT NULL THEN p.last_modified END AS last_modified,
          c.entry_id, c.title, c.published_at, c.author, c.summary, c.first_seen_at
