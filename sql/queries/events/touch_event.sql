-- What candidate lookups read of an event, written at once; the rest at the end of the batch.
UPDATE news.events SET first_published_at = %(first)s, last_published_at = %(last)s,
    article_count = %(article_count)s, updated_at = now()
WHERE id = %(id)s;
