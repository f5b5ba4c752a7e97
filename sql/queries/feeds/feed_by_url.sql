SELECT id, name, url FROM news.feeds WHERE url = %(url)s
