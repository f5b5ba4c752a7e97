-- The corpus size after a batch; the new generation tells later batches nobody else wrote.
UPDATE news.event_corpus SET n_docs = %(n_docs)s, generation = generation + 1
RETURNING generation;
