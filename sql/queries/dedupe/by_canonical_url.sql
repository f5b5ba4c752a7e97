SELECT id, content_hash FROM news.articles WHERE canonical_url = %(url)s;
