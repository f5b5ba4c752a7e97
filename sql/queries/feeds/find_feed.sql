-- A feed by id, URL or name.
SELECT id, name, url FROM news.feeds
WHERE id::text = %(ident)s OR url = %(ident)s OR name = %(ident)s
ORDER BY id LIMIT 1
