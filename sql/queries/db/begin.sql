-- Opens a transaction (any statement does, outside autocommit): a block that must be a savepoint
-- inside the caller's transaction, not a transaction committed on its own.
SELECT 1;
