-- The stored articles of the documents being re-extracted, by (raw document, item), that the
-- selection takes: the documents are chosen by any of their articles, but a JSONL file's other
-- records (another source, another extractor version) are not re-extracted with them. With
-- their URL: a record is paired with the stored article it made by it, not by its line number
-- alone.
SELECT a.id, a.raw_document_id, a.item_no, a.content_hash, a.extractor_version, a.text,
       a.url, a.title, a.title_derived, a.published_at
FROM news.articles a
LEFT JOIN news.sources s ON s.id = a.source_id
WHERE a.raw_document_id = ANY(%(ids)s)
  AND (%(sources)s::text[] IS NULL OR s.name = ANY(%(sources)s::text[]))
  AND (%(force)s OR CASE WHEN %(version)s::text IS NULL
                         THEN a.extractor_version <> %(current)s
                         ELSE a.extractor_version = %(version)s::text END);
