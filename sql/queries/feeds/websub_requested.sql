UPDATE news.feeds SET websub_state = %(state)s, websub_secret = %(secret)s,
       websub_requested_at = now(), websub_error = %(error)s
WHERE id = %(id)s
