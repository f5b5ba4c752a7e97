-- Texts and publication times of candidate originals, for verification and ordering.
SELECT id, text, published_at FROM news.articles WHERE id = ANY(%(ids)s);
