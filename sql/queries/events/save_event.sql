UPDATE news.events SET
    state = %(state)s, title = %(title)s, summary = %(summary)s,
    first_published_at = %(first)s, last_published_at = %(last)s,
    article_count = %(article_count)s, source_count = %(source_count)s,
    keywords = %(keywords)s, places = %(places)s, updated_at = now()
WHERE id = %(id)s;
