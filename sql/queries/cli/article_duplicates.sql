SELECT duplicates FROM news.article_duplicate_chain WHERE article_id = %(id)s;
