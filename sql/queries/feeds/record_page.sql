-- What fetching a claimed page gave; the claim is released. The page stays wanted after a
-- temporary failure while it has attempts left. Validators are those of an archived copy only
-- (a response that timed out mid-body carried some too: with them, the next "not modified"
-- would have settled a page nobody archived).
UPDATE news.pages SET last_fetched_at = now(), last_outcome = %(outcome)s,
       last_error = %(error)s, last_http_status = %(http_status)s,
       etag = COALESCE(%(etag)s, etag), last_modified = COALESCE(%(last_modified)s, last_modified),
       raw_document_id = COALESCE(%(raw_id)s, raw_document_id),
       attempts = CASE WHEN %(settled)s THEN 0 ELSE attempts + 1 END,
       wanted = NOT %(settled)s
                AND news.page_outcome_is_temporary(%(outcome)s, %(http_status)s)
                AND attempts + 1 < %(max_attempts)s,
       claimed_at = NULL, claimed_by_pid = NULL, claimed_by_backend_start = NULL
WHERE url = %(url)s
