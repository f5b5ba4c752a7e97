"""Polite, safe HTTP fetching for feeds and article pages.

``from newsflow import fetch; fetch.Fetcher(...)``. The package is split by concern:

* :mod:`.guard` - the SSRF guard (which addresses may be contacted, checked at connect time);
* :mod:`.budget` - one wall-clock budget per request, headers included;
* :mod:`.decoding` - Content-Encoding decoding with a decompressed-size cap;
* :mod:`.robots` - robots.txt records and verdicts;
* :mod:`.shared` - host slots and robots.txt shared by every worker (Postgres) or a process;
* :mod:`.result` - :class:`FetchResult`, outcomes, content types, header helpers;
* :mod:`.client` - :class:`Fetcher`, which puts them together.
"""

from newsflow.fetch.client import Fetcher
from newsflow.fetch.guard import Allowlist, address_problem, check_target, refusal
from newsflow.fetch.result import (
    FEED_CONTENT_TYPES,
    OUTCOMES,
    PAGE_CONTENT_TYPES,
    FetchResult,
    content_type_allowed,
    parse_link_header,
    parse_retry_after,
)
from newsflow.fetch.shared import MemoryShared, PostgresShared, SharedState

__all__ = [
    "FEED_CONTENT_TYPES",
    "OUTCOMES",
    "PAGE_CONTENT_TYPES",
    "Allowlist",
    "FetchResult",
    "Fetcher",
    "MemoryShared",
    "PostgresShared",
    "SharedState",
    "address_problem",
    "check_target",
    "content_type_allowed",
    "parse_link_header",
    "parse_retry_after",
    "refusal",
]
