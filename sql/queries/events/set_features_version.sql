-- Every membership's features are of this version now.
UPDATE news.event_corpus SET features_version = %(version)s;
