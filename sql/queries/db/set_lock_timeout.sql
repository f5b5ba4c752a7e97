-- How long the rest of this transaction waits for a lock ('0' = forever); the previous value.
SELECT current_setting('lock_timeout') AS previous,
       set_config('lock_timeout', %(value)s, true) AS now;
