-- An earlier-published copy becomes the original: the article keeps its id (events and the
-- duplicates pointing at it stay valid) and takes this copy's content; the copy the article
-- held until now is recorded as its duplicate. Both parts read the row as it was.
WITH demoted AS (
    INSERT INTO news.article_duplicates
        (raw_document_id, item_no, url, canonical_url, title, content_hash, published_at,
         duplicate_of, method, score, threshold, run_id, source_id)
    SELECT raw_document_id, item_no, url, canonical_url, title, content_hash, published_at,
           id, %(method)s, %(score)s, %(threshold)s, %(run_id)s, source_id
    FROM news.articles WHERE id = %(id)s
    ON CONFLICT (raw_document_id, item_no) DO NOTHING
)
UPDATE news.articles SET
    raw_document_id = %(raw_document_id)s, item_no = %(item_no)s,
    source_id = (SELECT id FROM news.sources WHERE name = %(source)s),
    url = %(url)s, canonical_url = %(canonical_url)s, title = %(title)s, title_key = %(title_key)s,
    title_derived = %(title_derived)s, byline = %(byline)s, published_at = %(published_at)s,
    published_at_source = %(published_at_source)s, language = %(language)s, text = %(text)s,
    summary_points = %(summary_points)s, cited_sources = %(cited_sources)s,
    repairs = %(repairs)s, word_count = %(word_count)s, content_hash = %(content_hash)s,
    minhash = %(minhash)s, extractor_version = %(extractor_version)s, updated_at = now()
WHERE id = %(id)s;
