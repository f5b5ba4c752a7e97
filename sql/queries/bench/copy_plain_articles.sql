-- Bulk-load synthetic articles without MinHash signatures (the events bench's history and arrivals).
COPY news.articles (id, raw_document_id, item_no, title, text, word_count, content_hash,
                    extractor_version, published_at, published_at_source)
FROM STDIN;
