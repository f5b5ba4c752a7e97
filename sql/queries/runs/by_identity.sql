-- The ingest run of an Airflow DAG run.
SELECT id FROM news.ingest_runs WHERE dag_id = %(dag_id)s AND run_id = %(run_id)s;
