-- The article with this normalised text, other than %(exclude)s (NULL: any).
SELECT id FROM news.articles
WHERE content_hash = %(content_hash)s AND (%(exclude)s::bigint IS NULL OR id <> %(exclude)s::bigint);
