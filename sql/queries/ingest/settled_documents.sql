-- Which of these raw documents reached a final state in any run (under the load lock: a
-- concurrent run may have processed a document this run also queued).
SELECT raw_document_id FROM news.articles WHERE raw_document_id = ANY(%(ids)s)
UNION SELECT raw_document_id FROM news.article_duplicates WHERE raw_document_id = ANY(%(ids)s)
UNION SELECT raw_document_id FROM news.quarantine WHERE raw_document_id = ANY(%(ids)s);
