-- The stored articles with these canonical URLs: a batch's URL lookups in one statement.
SELECT canonical_url, id, content_hash FROM news.articles
WHERE canonical_url = ANY(%(urls)s::text[]);
