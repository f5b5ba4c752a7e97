-- A new event row (its state is saved right after); returns its id.
INSERT INTO news.events (title) VALUES ('') RETURNING id;
