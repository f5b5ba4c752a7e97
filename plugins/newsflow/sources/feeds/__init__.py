"""RSS/Atom feeds in Postgres: the registry, polling, article pages, discovery and WebSub.

* :mod:`.registry` - which feeds exist, their names, which are due (and grouped by host);
* :mod:`.polling` - one poll of one feed, or of a group of feeds in one process;
* :mod:`.pages` - the article-page work queue: claims that survive a killed task, pages
  archived one by one as they arrive; the backfill's re-queue of archived pages;
* :mod:`.discovery` - feeds advertised by an HTML page (``<link rel="alternate">``);
* :mod:`.websub` - hub discovery, subscription, and the callback handler.

Feeds call the raw archive (:mod:`newsflow.archive`), never the processing code.
"""

from newsflow.sources.feeds.discovery import discover_feeds
from newsflow.sources.feeds.pages import queue_archived_pages, resume_unsettled_pages
from newsflow.sources.feeds.polling import PollResult, poll_feed, poll_feeds
from newsflow.sources.feeds.registry import (
    FeedExists,
    FeedGroup,
    FeedRef,
    OpmlImport,
    add_feed,
    disable_feed,
    due_feeds,
    enable_feed,
    feed_url_problem,
    find_feed,
    group_by_host,
    import_opml,
    list_feeds,
    pack_groups,
    rename_feed,
)

__all__ = [
    "FeedExists",
    "FeedGroup",
    "FeedRef",
    "OpmlImport",
    "PollResult",
    "add_feed",
    "disable_feed",
    "discover_feeds",
    "due_feeds",
    "enable_feed",
    "feed_url_problem",
    "find_feed",
    "group_by_host",
    "pack_groups",
    "import_opml",
    "list_feeds",
    "poll_feed",
    "poll_feeds",
    "queue_archived_pages",
    "resume_unsettled_pages",
    "rename_feed",
]
