"""Typed records passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    published_at_source: str | None = None  # 'jsonl', 'page-metadata', 'feed', 'url', 'fetch-time'
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
