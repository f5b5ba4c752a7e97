-- A new or changed entry asks for its page. The same URL in two feeds is fetched once per run:
-- a page this run already took and finished is not asked for again.
INSERT INTO news.pages AS p (url, wanted) VALUES (%(url)s, true)
ON CONFLICT (url) DO UPDATE SET wanted = true,
    attempts = CASE WHEN p.wanted THEN p.attempts ELSE 0 END
WHERE p.wanted OR p.claimed_by_run IS DISTINCT FROM %(run_id)s
RETURNING url
