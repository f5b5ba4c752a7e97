-- The great-expectations summary of the run's batch.
UPDATE news.ingest_runs SET validation = %(validation)s WHERE id = %(run_id)s;
