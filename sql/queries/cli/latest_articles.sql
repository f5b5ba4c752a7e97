SELECT id, title, coalesce((published_at AT TIME ZONE 'UTC')::date::text, '') AS day FROM news.articles
ORDER BY id DESC LIMIT %(limit)s;
