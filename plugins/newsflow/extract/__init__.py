"""Extraction: plain text, HTML pages and JSONL records -> :class:`~newsflow.records.Extracted`.

Pure functions, one module per kind of input: :mod:`.plain` (layout heuristics for text
files), :mod:`.page` (HTML through trafilatura, metadata from :mod:`.metadata`), :mod:`.jsonl`
(records whose text runs through the plain-text cleanup), :mod:`.dates` and the line classes of
:mod:`.patterns` they share.
"""

from __future__ import annotations

from newsflow.extract.dates import parse_datetime
from newsflow.extract.jsonl import extract_jsonl_record
from newsflow.extract.page import extract_html
from newsflow.extract.plain import extract_text

__all__ = [
    "EXTRACTOR_VERSION",
    "extract_html",
    "extract_jsonl_record",
    "extract_text",
    "parse_datetime",
]

#: Bump whenever extraction or normalisation output changes for the same input.
EXTRACTOR_VERSION = "2026.12.3"
