UPDATE news.event_corpus SET n_docs = %(n_docs)s;
