-- The latest ingest run of a DAG (or CLI command).
SELECT * FROM news.ingest_runs WHERE dag_id = %(dag_id)s ORDER BY id DESC LIMIT 1;
