INSERT INTO news.sources (name)
SELECT DISTINCT name FROM stage_sources
ON CONFLICT (name) DO NOTHING;
