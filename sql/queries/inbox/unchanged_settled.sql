-- Of the listed inbox files (name, size, modification time), those unchanged since a run
-- archived them and whose raw document is settled: a new-arrivals run skips them.
SELECT f.locator
FROM unnest(%(locators)s::text[], %(sizes)s::bigint[], %(mtimes)s::bigint[])
    AS s (locator, size_bytes, mtime_ns)
JOIN news.inbox_files f
  ON f.locator = s.locator AND f.size_bytes = s.size_bytes AND f.mtime_ns = s.mtime_ns
WHERE EXISTS (SELECT 1 FROM news.articles WHERE raw_document_id = f.raw_document_id)
   OR EXISTS (SELECT 1 FROM news.article_duplicates WHERE raw_document_id = f.raw_document_id)
   OR EXISTS (SELECT 1 FROM news.quarantine WHERE raw_document_id = f.raw_document_id)
   OR EXISTS (SELECT 1 FROM news.article_versions WHERE raw_document_id = f.raw_document_id);
