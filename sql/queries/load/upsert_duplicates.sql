INSERT INTO news.article_duplicates
    (raw_document_id, item_no, url, canonical_url, title, content_hash, published_at,
     duplicate_of, method, score, threshold, run_id)
SELECT raw_document_id, item_no, url, canonical_url, title, content_hash, published_at,
       duplicate_of, method, score, threshold, run_id
FROM stage_duplicates
ON CONFLICT (raw_document_id, item_no) DO NOTHING;
