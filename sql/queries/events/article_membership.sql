-- Why an article is in its event (news.event_membership): similarity, evidence, history.
SELECT * FROM news.event_membership WHERE article_id = %(id)s;
