-- New articles are inserted; an existing id (a changed page, a re-extraction) becomes a new version.
INSERT INTO news.articles AS a
    (id, raw_document_id, item_no, source_id, url, canonical_url, title, title_derived, byline,
     published_at, published_at_source, language, text, summary_points, cited_sources, repairs,
     word_count, content_hash, minhash, extractor_version, version, first_run_id, title_key)
SELECT s.id, s.raw_document_id, s.item_no, src.id, s.url, s.canonical_url, s.title,
       s.title_derived, s.byline, s.published_at, s.published_at_source, s.language, s.text,
       s.summary_points, s.cited_sources, s.repairs, s.word_count, s.content_hash, s.minhash,
       s.extractor_version, 1, s.first_run_id, s.title_key
FROM stage_articles s
LEFT JOIN news.sources src ON src.name = s.source_name
ON CONFLICT (id) DO UPDATE SET
    raw_document_id     = EXCLUDED.raw_document_id,
    item_no             = EXCLUDED.item_no,
    source_id           = COALESCE(EXCLUDED.source_id, a.source_id),
    url                 = COALESCE(EXCLUDED.url, a.url),
    title               = EXCLUDED.title,
    title_key           = EXCLUDED.title_key,
    title_derived       = EXCLUDED.title_derived,
    byline              = EXCLUDED.byline,
    -- a changed page keeps the first date known; a re-extraction of the same bytes (the same
    -- raw document) corrects it, unless it found none
    published_at        = CASE WHEN a.raw_document_id = EXCLUDED.raw_document_id
                               THEN COALESCE(EXCLUDED.published_at, a.published_at)
                               ELSE COALESCE(a.published_at, EXCLUDED.published_at) END,
    published_at_source = CASE WHEN a.raw_document_id = EXCLUDED.raw_document_id
                                    AND EXCLUDED.published_at IS NOT NULL
                               THEN EXCLUDED.published_at_source
                               WHEN a.published_at IS NULL THEN EXCLUDED.published_at_source
                               ELSE a.published_at_source END,
    language            = EXCLUDED.language,
    text                = EXCLUDED.text,
    summary_points      = EXCLUDED.summary_points,
    cited_sources       = EXCLUDED.cited_sources,
    repairs             = EXCLUDED.repairs,
    word_count          = EXCLUDED.word_count,
    content_hash        = EXCLUDED.content_hash,
    minhash             = EXCLUDED.minhash,
    extractor_version   = EXCLUDED.extractor_version,
    version             = a.version + 1,
    updated_at          = now()
WHERE a.content_hash IS DISTINCT FROM EXCLUDED.content_hash
   OR a.extractor_version IS DISTINCT FROM EXCLUDED.extractor_version
   -- a re-extraction that corrects only the title or the date
   OR (a.raw_document_id = EXCLUDED.raw_document_id
       AND (a.title IS DISTINCT FROM EXCLUDED.title
            OR (EXCLUDED.published_at IS NOT NULL
                AND a.published_at IS DISTINCT FROM EXCLUDED.published_at)));
