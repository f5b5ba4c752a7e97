-- Serialise duplicate decisions and loading across concurrent runs, until the transaction ends.
SELECT pg_advisory_xact_lock(%(key)s);
