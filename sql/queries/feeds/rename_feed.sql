UPDATE news.feeds SET name = %(name)s,
       source_id = COALESCE(%(source_id)s, source_id)
WHERE id = %(id)s
RETURNING id
