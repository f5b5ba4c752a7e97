-- Every connection of the News view: read-only, bounded in time, schema news first.
SELECT set_config('default_transaction_read_only', 'on', false),
       set_config('statement_timeout', %(statement_timeout_ms)s, false),
       set_config('search_path', 'news, public', false),
       set_config('application_name', 'newsflow-web', false);
