-- Analysts read every table and view of the schema (re-created views included).
GRANT SELECT ON ALL TABLES IN SCHEMA news TO newsflow_reader;
