INSERT INTO news.document_outcomes AS o (run_id, raw_document_id, item_no, state, article_id, detail)
SELECT run_id, raw_document_id, item_no, state, article_id, detail FROM stage_outcomes
ON CONFLICT (run_id, raw_document_id, item_no) DO UPDATE
    SET state = EXCLUDED.state, article_id = EXCLUDED.article_id, detail = EXCLUDED.detail;
-- A JSONL file settles item by item: its placeholder row (item 0) is done once its items are.
DELETE FROM news.document_outcomes o
USING (SELECT DISTINCT run_id, raw_document_id FROM stage_outcomes WHERE item_no > 0) s
WHERE o.run_id = s.run_id AND o.raw_document_id = s.raw_document_id
  AND o.item_no = 0 AND o.state = 'pending';
