-- A read-only role for analysts: it can select every table and view in schema news and write
-- nothing. Roles are cluster-wide, so create it only when missing. Grant it to login roles:
--   CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE newsflow_reader;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newsflow_reader') THEN
        CREATE ROLE newsflow_reader NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA news TO newsflow_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA news TO newsflow_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA news GRANT SELECT ON TABLES TO newsflow_reader;
REVOKE CREATE ON SCHEMA news FROM newsflow_reader;
