-- Bulk-load synthetic stored articles (with their MinHash signatures) for the lookup bench, as COPY text.
COPY news.articles (id, raw_document_id, item_no, title, text, word_count, content_hash, minhash,
                    extractor_version, published_at, published_at_source)
FROM STDIN;
