-- Every file or URL a run saw and the state it ended in; a second name for the same bytes
-- points at the name whose bytes were processed.
SELECT s.locator, coalesce(o.item_no, 0) AS item_no,
       CASE WHEN first.locator = s.locator THEN o.state ELSE 'already-ingested' END AS state,
       CASE WHEN first.locator = s.locator THEN o.detail
            ELSE 'same bytes as ' || first.locator END AS detail
FROM news.document_sightings s
JOIN LATERAL (
    SELECT min(s2.locator) AS locator FROM news.document_sightings s2
    WHERE s2.run_id = s.run_id AND s2.raw_document_id = s.raw_document_id
) first ON true
LEFT JOIN news.document_outcomes o
       ON o.run_id = s.run_id AND o.raw_document_id = s.raw_document_id
      AND (first.locator = s.locator OR o.item_no = (
           SELECT min(item_no) FROM news.document_outcomes o2
           WHERE o2.run_id = s.run_id AND o2.raw_document_id = s.raw_document_id))
WHERE s.run_id = %(run_id)s
ORDER BY s.locator, item_no;
