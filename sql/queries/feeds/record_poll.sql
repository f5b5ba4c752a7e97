INSERT INTO news.feed_polls (feed_id, run_id, outcome, http_status, error, entries_total,
                             entries_new, pages_fetched, pages_failed, elapsed_ms)
VALUES (%(feed_id)s, %(run_id)s, %(outcome)s, %(http_status)s, %(error)s, %(entries_total)s,
        %(entries_new)s, %(pages_fetched)s, %(pages_failed)s, %(elapsed_ms)s)
