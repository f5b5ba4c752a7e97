-- Serialises event assignment (cluster_pending, reprocessing) for the transaction.
SELECT pg_advisory_xact_lock(%(key)s);
