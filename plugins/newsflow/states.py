"""The closed vocabularies of the pipeline: document states, stages, duplicate decisions.

They are the values stored in ``document_outcomes.state``, ``quarantine.stage`` and
``article_duplicates.method`` (each column has a CHECK constraint with the same list), so they
are ``StrEnum``s: psycopg stores their values and code compares them without bare strings.
"""

from __future__ import annotations

from enum import StrEnum


class DocState(StrEnum):
    """The state a document item ends in within one run (``document_outcomes.state``)."""

    PENDING = "pending"  # archived, waiting to be processed by the run
    STORED = "stored"  # a new article (or an earlier copy that took the original's place)
    UPDATED = "updated"  # a new version of a stored article
    DUPLICATE = "duplicate"  # recorded in the duplicate ledger, not stored again
    QUARANTINED = "quarantined"  # refused, with its reasons in ``quarantine``
    FAILED = "failed"  # an unexpected error; retried by a later run
    ALREADY_INGESTED = "already-ingested"  # these bytes were settled by an earlier run


class Stage(StrEnum):
    """Where a document item stopped (``quarantine.stage``)."""

    ACQUIRE = "acquire"
    DECODE = "decode"
    EXTRACT = "extract"
    VALIDATE = "validate"
    DEDUPE = "dedupe"
    LOAD = "load"


class DecisionKind(StrEnum):
    """What deduplication decided for a valid article."""

    NEW = "new"  # store as a new article
    DUPLICATE = "duplicate"  # a copy of a stored article: ledger row only
    UPDATE = "update"  # the same page changed: a new version of its article
    PROMOTE = "promote"  # a copy published earlier than the stored original: it takes its place


class DupMethod(StrEnum):
    """How a duplicate was recognised (``article_duplicates.method``)."""

    URL = "url"
    CONTENT_HASH = "content-hash"
    NEAR_DUP = "near-dup"
    TITLE = "title"
