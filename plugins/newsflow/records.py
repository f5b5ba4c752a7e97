"""Typed records passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Extracted:
    """What extraction makes of one document (one file, one page, or one JSONL line).

    ``repairs`` lists what was fixed on the way (``"invalid-utf8"``, ``"backslash-quotes"``,
    ``"boilerplate:Comments (0)"`` ...), so that a repaired record says how it was repaired.
    """

    text: str
    title: str | None = None
    title_derived: bool = False  # True when no headline was found and the title was made up
    byline: str | None = None
    published_at: datetime | None = None
    # 'page-metadata', 'feed', 'url', 'htmldate', 'jsonl', 'dateline', 'inbox-folder' (see
    # newsflow.extract.dates); never the time a document was fetched or filed
    published_at_source: str | None = None
    language: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None  # publisher / site name
    summary_points: list[str] = field(default_factory=list)  # key-takeaway bullets
    cited_sources: list[str] = field(default_factory=list)  # a trailing "Sources:" list
    repairs: list[str] = field(default_factory=list)
    extractor: str = ""  # 'text-heuristics', 'trafilatura', 'jsonl'


@dataclass
class Normalized:
    """An article ready for validation and loading."""

    text: str
    title: str
    title_derived: bool
    byline: str | None
    published_at: datetime | None
    published_at_source: str | None
    language: str | None
    url: str | None
    canonical_url: str | None
    source: str | None
    summary_points: list[str]
    cited_sources: list[str]
    repairs: list[str]
    word_count: int
    content_hash: str  # sha256 hex over the normalised text
    extractor_version: str


@dataclass(frozen=True)
class DocumentContext:
    """What the pipeline knows about a document besides its content.

    Extraction functions stay pure: everything they may use that is not in the bytes (where the
    document came from, the inbox folder's date, the feed entry that linked it) is passed here.
    """

    origin: str | None = None  # 'file', 'feed', 'page', 'queue'
    url: str | None = None  # the address the document was fetched from
    media_type: str | None = None
    partition_date: date | None = None  # the inbox's YYYY-MM-DD/ folder, if any
    fetched_at: datetime | None = None  # when it was obtained (never a publication date)
    entry_meta: dict[str, Any] | None = None  # the feed entry: title, author, published_at
    locator: str | None = None  # file path in the inbox, or URL

    def inbox_date(self) -> date | None:
        """The date of the inbox folder the file was dropped in (files only: a fetched page's
        partition is its fetch window, not a statement about the article)."""
        return self.partition_date if self.origin in (None, "file") else None
