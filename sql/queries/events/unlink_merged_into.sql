-- Events that pointed at an event about to be deleted point nowhere.
UPDATE news.events SET merged_into = NULL WHERE merged_into = %(id)s;
