-- Statistics for the planner after a bulk load.
ANALYZE;
