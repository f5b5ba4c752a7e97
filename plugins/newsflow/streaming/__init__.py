"""Streaming: new documents start a run within seconds instead of waiting for the schedule.

Each source has an event trigger (Airflow's ``BaseEventTrigger``) that runs in the triggerer
as the ``AssetWatcher`` of an Asset; a DAG scheduled on that Asset (besides its own timetable,
``AssetOrTimeSchedule``) runs when the watcher fires. The watchers only *notice* work; the runs
decide what to take (everything not yet processed), so a missed or doubled signal costs a run at
most, never a document:

* :mod:`.inbox` - files renamed into the inbox (``news_files``);
* :mod:`.queue` - JSON messages on a Redis stream (``news_queue``);
* :mod:`.feeds` - feeds that are due, or pushed to by their WebSub hub (``news_feeds``).
"""
