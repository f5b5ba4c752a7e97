-- The chunk's documents are being processed now (committed before the work): should the process
-- die in it (a document that crashes the parser, the OOM killer), a later run knows that these
-- documents were in a chunk that died, and ingest/pending_sizes isolates them. A death while a
-- document was alone in its chunk is its own: the archive counts it as a failed attempt
-- (archive/raw_document), so a document that kills its process is not tried for ever. A chunk
-- that raises instead (an error, a lock timeout, Ctrl-C) clears the mark
-- (runs/clear_chunk_mark): only a process that vanished leaves it.
WITH chunk AS (
    SELECT count(DISTINCT raw_document_id) AS documents FROM news.document_outcomes
    WHERE run_id = %(run_id)s AND state = 'pending'
      AND raw_document_id BETWEEN %(first_id)s AND %(last_id)s
)
UPDATE news.document_outcomes o
SET detail = CASE WHEN chunk.documents = 1 THEN 'chunk started: alone' ELSE 'chunk started' END
FROM chunk
WHERE o.run_id = %(run_id)s AND o.state = 'pending'
  AND o.raw_document_id BETWEEN %(first_id)s AND %(last_id)s;
