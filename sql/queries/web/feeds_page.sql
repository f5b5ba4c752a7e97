-- One keyset page of feed health by name (index feeds_name_idx); cursor: (name, id).
SELECT h.*
FROM news.feed_health h
WHERE (h.name, h.id) > (%(cursor_name)s::text, %(cursor_id)s::bigint)
ORDER BY h.name, h.id
LIMIT %(limit)s;
