INSERT INTO news.article_duplicates
    (raw_document_id, item_no, url, canonical_url, title, content_hash, published_at,
     duplicate_of, method, score, threshold, run_id, source_id)
SELECT d.raw_document_id, d.item_no, d.url, d.canonical_url, d.title, d.content_hash,
       d.published_at, d.duplicate_of, d.method, d.score, d.threshold, d.run_id, src.id
FROM stage_duplicates d
LEFT JOIN news.sources src ON src.name = d.source_name
ON CONFLICT (raw_document_id, item_no) DO NOTHING;
