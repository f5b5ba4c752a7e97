SELECT generation FROM news.event_corpus;
