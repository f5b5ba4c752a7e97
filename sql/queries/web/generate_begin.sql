-- The News view's 1M-article generator (tools/newsflow_tools/news_view_bench.py): bulk COPY
-- without foreign-key triggers (superuser only; the generator makes consistent ids itself).
SET session_replication_role = replica;
