-- Ids and sizes of the documents a run still has to process (to cut it into chunks), and how
-- many runs, or earlier tries of a run, died while the document's chunk was being processed
-- (news.died_with; runs/count_earlier_tries).
SELECT r.id, r.size_bytes,
       (SELECT count(*) FILTER (WHERE p.run_id <> o.run_id
                                  AND news.died_with(p.state, p.detail, pr.status) IS NOT NULL)
               + coalesce(sum(p.tries_died), 0)
        FROM news.document_outcomes p
        JOIN news.ingest_runs pr ON pr.id = p.run_id
        WHERE p.raw_document_id = r.id) AS deaths
FROM news.document_outcomes o JOIN news.raw_documents r ON r.id = o.raw_document_id
WHERE o.run_id = %(run_id)s AND o.state = 'pending'
ORDER BY r.id;
