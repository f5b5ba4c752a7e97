-- Has this raw document reached a final state (article, duplicate or quarantine) in any run?
SELECT EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = %(id)s)
    OR EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = %(id)s)
    OR EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = %(id)s)
    OR EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = %(id)s) AS settled;
