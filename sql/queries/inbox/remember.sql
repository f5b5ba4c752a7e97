-- Remember what a run archived from the inbox: name, size, modification time, raw document.
-- A file seen again unchanged keeps its row as it is (re-runs and backfills change nothing).
INSERT INTO news.inbox_files AS f (locator, size_bytes, mtime_ns, raw_document_id, run_id)
SELECT * FROM unnest(%(locators)s::text[], %(sizes)s::bigint[], %(mtimes)s::bigint[],
                     %(raw_ids)s::bigint[], %(run_ids)s::bigint[])
ON CONFLICT (locator) DO UPDATE
    SET size_bytes = EXCLUDED.size_bytes, mtime_ns = EXCLUDED.mtime_ns,
        raw_document_id = EXCLUDED.raw_document_id, run_id = EXCLUDED.run_id,
        archived_at = now()
    WHERE (f.size_bytes, f.mtime_ns, f.raw_document_id)
        IS DISTINCT FROM (EXCLUDED.size_bytes, EXCLUDED.mtime_ns, EXCLUDED.raw_document_id);
