-- What featurize needs of a stored article besides its text.
SELECT title, coalesce(published_at, first_seen_at) AS t FROM news.articles WHERE id = %(id)s;
