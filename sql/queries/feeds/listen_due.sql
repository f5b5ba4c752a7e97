-- The feeds watcher (newsflow.streaming.feeds) hears of pushes at once.
LISTEN newsflow_feeds_due
