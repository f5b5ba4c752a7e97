-- The version of the clustering features stored with the memberships (event_articles.features,
-- newsflow.events.features.FEATURES_VERSION). Features stored before it carry no number: version
-- 1. The clustering job re-featurises memberships older than the code's version before it
-- clusters anything (newsflow.events.store.refeaturize), then records the version here, so a
-- run with nothing to upgrade reads one row instead of scanning the memberships.
ALTER TABLE event_corpus ADD COLUMN features_version integer NOT NULL DEFAULT 1;
