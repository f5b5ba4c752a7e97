-- The chunk's documents are being processed now (committed before the work): should the process
-- die in it (a document that crashes the parser, the OOM killer), a later run knows that these
-- documents were in a chunk that died. ingest/pending_sizes isolates them, and the archive counts
-- it as an attempt (archive/raw_document), so one such document cannot hold its neighbours back
-- or be tried for ever.
UPDATE news.document_outcomes SET detail = 'chunk started'
WHERE run_id = %(run_id)s AND state = 'pending'
  AND raw_document_id BETWEEN %(first_id)s AND %(last_id)s;
