-- A document refused at acquisition (over the size cap, unsupported type): quarantined once.
INSERT INTO news.quarantine (raw_document_id, item_no, stage, reasons, record, run_id)
VALUES (%(raw_document_id)s, 0, 'acquire', %(reasons)s, %(record)s, %(run_id)s)
ON CONFLICT (raw_document_id, item_no) DO NOTHING;
