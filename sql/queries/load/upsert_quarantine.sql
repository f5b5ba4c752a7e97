INSERT INTO news.quarantine (raw_document_id, item_no, stage, reasons, record, run_id)
SELECT raw_document_id, item_no, stage, reasons, record, run_id
FROM stage_quarantine
ON CONFLICT (raw_document_id, item_no) DO NOTHING;
