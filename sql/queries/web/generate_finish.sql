-- After the generator's COPY: sequences past the generated ids, then fresh statistics.
SELECT setval(pg_get_serial_sequence('news.' || t, 'id'),
              greatest((xpath('/row/m/text()',
                  query_to_xml(format('SELECT max(id) AS m FROM news.%I', t), false, true, '')
              ))[1]::text::bigint, 1))
FROM unnest(ARRAY['sources', 'feeds', 'ingest_runs', 'raw_documents', 'articles',
                  'article_duplicates', 'quarantine', 'events', 'feed_polls']) AS t;
