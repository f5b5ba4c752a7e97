-- How many articles the document frequencies count.
SELECT n_docs FROM news.event_corpus;
