-- One keyset page of the copies recorded against an article (index
-- article_duplicates_of_id_idx); cursor: the last duplicate id shown.
SELECT d.id, d.method, d.score, d.threshold, d.title, d.canonical_url, d.published_at,
       d.detected_at, d.item_no, doc.locator, r.id AS ingest_run_id, r.dag_id, r.run_id
FROM news.article_duplicates d
JOIN news.raw_documents doc ON doc.id = d.raw_document_id
LEFT JOIN news.ingest_runs r ON r.id = d.run_id
WHERE d.duplicate_of = %(article_id)s AND d.id > %(cursor_id)s::bigint
ORDER BY d.id
LIMIT %(limit)s;
