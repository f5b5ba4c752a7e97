-- More memory for the index builds after a bulk load, for this transaction only.
SET LOCAL maintenance_work_mem = '256MB';
