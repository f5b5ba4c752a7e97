SELECT validation FROM news.ingest_runs WHERE id = %(run_id)s;
