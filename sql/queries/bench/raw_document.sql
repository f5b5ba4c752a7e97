-- The one raw document every synthetic article of a bench section points to (no body stored).
INSERT INTO news.raw_documents (content_hash, origin, locator, size_bytes, body, body_stored)
VALUES (%(content_hash)s, 'file', %(locator)s, 0, NULL, false)
RETURNING id;
