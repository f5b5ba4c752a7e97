-- The chunk raised (its transaction is rolled back): its process did not die in it, so its
-- documents were not in a chunk that died (runs/mark_chunk_started).
UPDATE news.document_outcomes SET detail = NULL
WHERE run_id = %(run_id)s AND state = 'pending' AND detail LIKE 'chunk started%%'
  AND raw_document_id BETWEEN %(first_id)s AND %(last_id)s;
