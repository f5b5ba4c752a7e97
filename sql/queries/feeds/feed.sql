SELECT * FROM news.feeds WHERE id = %(id)s
