-- The stored articles with these canonical URLs (one, or a whole batch's at once).
SELECT canonical_url, id, content_hash FROM news.articles
WHERE canonical_url = ANY(%(urls)s::text[]);
