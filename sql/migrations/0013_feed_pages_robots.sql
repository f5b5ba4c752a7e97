-- Feed pages as a work queue that survives a killed poll, and robots.txt shared by every worker.

-- A page is `wanted` from the moment a new or changed entry asks for it until it is archived,
-- answered 304, failed for good, or ran out of attempts. A claim names the connection that
-- fetches it (backend pid and start time): a claim whose connection is gone (the task was
-- killed) or that is older than the lease is taken again by the next poll.
ALTER TABLE pages
    ADD COLUMN wanted                   boolean NOT NULL DEFAULT false,
    ADD COLUMN claimed_at               timestamptz,
    ADD COLUMN claimed_by_pid           integer,
    ADD COLUMN claimed_by_backend_start timestamptz;
CREATE INDEX pages_wanted_idx ON pages (url) WHERE wanted;

-- Page outcomes worth another try on a later poll (the server may recover); others are final.
CREATE FUNCTION page_outcome_is_temporary(outcome text, http_status integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT outcome IN ('timeout', 'connection-error', 'archive-error')
        OR (outcome = 'http-error' AND http_status IN (408, 429, 500, 502, 503, 504))
$$;

-- Whether a page's claim is held by a connection that is still there, within the lease.
CREATE FUNCTION page_claim_is_live(p pages, lease_seconds double precision)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p.claimed_by_pid IS NOT NULL
       AND p.claimed_at > now() - make_interval(secs => lease_seconds)
       AND EXISTS (SELECT 1 FROM pg_stat_activity a
                    WHERE a.pid = p.claimed_by_pid
                      AND (a.backend_start IS NULL
                           OR a.backend_start = p.claimed_by_backend_start))
$$;

-- Claims left behind before this migration (a killed poll's pages were lost): wanted again.
UPDATE pages SET wanted = true
 WHERE raw_document_id IS NULL AND attempts < 5
   AND (last_outcome IS NULL OR page_outcome_is_temporary(last_outcome, last_http_status));

-- robots.txt per origin (scheme://host:port), fetched once per TTL by whichever worker claims
-- it first (`fetching_until`), read by all the others.
CREATE TABLE robots_cache (
    origin          text PRIMARY KEY,
    mode            text CHECK (mode IN ('rules', 'allow', 'disallow')),
    body            text,
    http_status     integer,
    note            text,
    fetched_at      timestamptz,
    expires_at      timestamptz NOT NULL DEFAULT '-infinity',
    fetching_until  timestamptz,
    fetches         integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE robots_cache IS 'robots.txt per origin, shared by every fetcher until expires_at.';
