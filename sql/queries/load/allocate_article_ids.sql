-- Ids for the new articles of a batch, taken before they are staged.
SELECT nextval('news.articles_id_seq') AS id FROM generate_series(1, %(count)s);
