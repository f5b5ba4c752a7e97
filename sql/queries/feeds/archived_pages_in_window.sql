-- Pages archived in a window (what a backfill of news_feeds reprocesses).
SELECT id, locator FROM news.raw_documents
WHERE origin = 'page' AND fetched_at >= %(start)s AND fetched_at < %(end)s
ORDER BY id
