"""Grouping articles into events: the specific real-world happenings they report.

The package is cut along what changes together:

* :mod:`.lexicon` and its data files (word lists), :mod:`.gazetteer` (places),
  :mod:`.features` (what the clusterer sees of an article);
* :mod:`.docfreq` (incremental document frequencies, IDF-weighted sparse vectors);
* :mod:`.state` (an event's state, the store protocol), :mod:`.memory` (in-memory store);
* :mod:`.clusterer` (the online algorithm), :mod:`.describe` (headline, summary, keywords);
* :mod:`.store` (Postgres: the store and the batch job of the ``news_events`` DAG).

Callers use the names exported here (``from newsflow import events``).
"""

from .clusterer import Assignment, ClusterParams, EventClusterer, Move
from .describe import event_keywords, event_places, event_summary, representative_headline
from .docfreq import DocFreq
from .features import FEATURES_VERSION, ArticleFeatures, featurize
from .memory import InMemoryEventStore
from .state import EventState, EventStore, Member
from .store import (
    Clustering,
    PostgresEventStore,
    detach,
    forget,
    lazy_docfreq,
    load_docfreq,
    rebuild_event,
    refeaturize,
    save_docfreq,
)

__all__ = [
    "FEATURES_VERSION",
    "ArticleFeatures",
    "Assignment",
    "ClusterParams",
    "DocFreq",
    "EventClusterer",
    "EventState",
    "EventStore",
    "InMemoryEventStore",
    "Member",
    "Move",
    "PostgresEventStore",
    "Clustering",
    "detach",
    "lazy_docfreq",
    "event_keywords",
    "event_places",
    "event_summary",
    "featurize",
    "forget",
    "load_docfreq",
    "rebuild_event",
    "refeaturize",
    "representative_headline",
    "save_docfreq",
]
