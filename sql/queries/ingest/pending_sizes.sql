-- Ids and sizes of the documents a run still has to process (to cut it into chunks).
SELECT r.id, r.size_bytes
FROM news.document_outcomes o JOIN news.raw_documents r ON r.id = o.raw_document_id
WHERE o.run_id = %(run_id)s AND o.state = 'pending'
ORDER BY r.id;
