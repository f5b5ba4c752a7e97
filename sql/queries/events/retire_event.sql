-- An event left without members keeps its row, pointing at where its articles went.
UPDATE news.events SET merged_into = %(merged_into)s, retired_at = now(), article_count = 0,
    source_count = 0, state = NULL, updated_at = now()
WHERE id = %(id)s;
