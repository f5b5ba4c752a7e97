UPDATE news.feeds SET enabled = false
WHERE id::text = %(ident)s OR url = %(ident)s OR name = %(ident)s
RETURNING id
