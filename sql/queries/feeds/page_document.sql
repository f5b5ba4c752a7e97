-- The document archived for a page (NULL: none yet).
SELECT raw_document_id FROM news.pages WHERE url = %(url)s;
