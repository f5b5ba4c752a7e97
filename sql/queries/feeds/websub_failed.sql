-- The hub refused or could not be asked: 'failed', asked again by the next run's subscriptions.
-- Only while the request is still the one that failed (``secret``), or whatever it is when
-- NULL (an error before any request was recorded).
UPDATE news.feeds SET websub_state = 'failed', websub_error = %(error)s
WHERE id = %(id)s AND (%(secret)s::text IS NULL OR websub_secret = %(secret)s::text)
