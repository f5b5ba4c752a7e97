-- A document refused at acquisition whose reason no longer holds (renamed to a type newsflow
-- reads, under a raised size cap): its bytes and type as read now, and the refusal released
-- from quarantine, so that it is processed like any new document. The run that refused it
-- keeps its outcome (news.document_outcomes).
WITH released AS (
    DELETE FROM news.quarantine
    WHERE raw_document_id = %(id)s AND stage = 'acquire'
)
UPDATE news.raw_documents
SET body = %(body)s, codec = %(codec)s, body_stored = %(body_stored)s,
    media_type = %(media_type)s, charset = %(charset)s, size_bytes = %(size_bytes)s,
    locator = %(locator)s, partition_date = %(partition_date)s
WHERE id = %(id)s;
