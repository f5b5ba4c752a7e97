SELECT count(*) AS n FROM news.article_duplicates;
