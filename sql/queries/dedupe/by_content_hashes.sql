-- The stored articles with these normalised-text hashes (one, or a whole batch's at once).
SELECT content_hash, id FROM news.articles WHERE content_hash = ANY(%(hashes)s::text[]);
