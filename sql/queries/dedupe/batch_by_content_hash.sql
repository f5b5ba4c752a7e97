-- The stored articles with these normalised-text hashes: a batch's hash lookups at once.
SELECT content_hash, id FROM news.articles WHERE content_hash = ANY(%(hashes)s::text[]);
