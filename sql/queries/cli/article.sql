-- One article with its source, archived document and event.
SELECT a.*, s.name AS source, r.locator, ea.event_id, ea.similarity, e.title AS event
FROM news.articles a
JOIN news.raw_documents r ON r.id = a.raw_document_id
LEFT JOIN news.sources s ON s.id = a.source_id
LEFT JOIN news.event_articles ea ON ea.article_id = a.id
LEFT JOIN news.events e ON e.id = ea.event_id
WHERE a.id = %(id)s;
