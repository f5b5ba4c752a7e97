-- A feed is due now (a WebSub push): wake the feeds watcher (delivered on commit).
SELECT pg_notify('newsflow_feeds_due', %(feed_id)s)
