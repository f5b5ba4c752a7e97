DELETE FROM news.events WHERE id = %(id)s;
