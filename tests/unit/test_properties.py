"""Property-based tests: decode, extract and normalize on arbitrary bytes and strings.

The documented failures are ``ValueError`` subclasses (``BinaryContentError``,
``EmptyDocumentError`` and the JSONL field errors); anything else is a bug. Whatever comes out
must be valid text: encodable as UTF-8 (Postgres COPY, pandas hashing in great-expectations).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsflow.decode import BinaryContentError, EmptyDocumentError, decode_bytes
from newsflow.extract import extract_html, extract_jsonl_record, extract_text
from newsflow.normalize import normalize
from newsflow.records import Extracted, Normalized

# Arbitrary text including lone surrogates, NUL and other controls.
ANY_TEXT = st.text(
    st.one_of(st.characters(codec=None, exclude_categories=()), st.characters(categories=["Cs"])),
    max_size=400,
)
WORDS = st.lists(
    st.one_of(
        st.sampled_from(["the", "Council", "budget", "\ud800", "\x00", "日本語", "ภาษาไทย", "—"]),
        ANY_TEXT,
    ),
    max_size=60,
).map(" ".join)
HTML = st.builds(
    lambda title, paras, junk: (
        f"<html><head><title>{title}</title></head><body>{junk}"
        + "".join(f"<p>{p}</p>" for p in paras)
        + "</body></html>"
    ),
    WORDS,
    st.lists(WORDS, max_size=6),
    ANY_TEXT,
)
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _encodable(art: Normalized | Extracted) -> None:
    for value in (art.text, art.title, art.byline, art.url, art.canonical_url, art.source):
        if value is not None:
            value.encode("utf-8")
    for value in [*art.summary_points, *art.cited_sources, *art.repairs]:
        value.encode("utf-8")


@PROFILE
@given(st.binary(max_size=2000), st.one_of(st.none(), st.sampled_from(["utf-8", "latin-1", "x"])))
def test_decode_any_bytes(body: bytes, charset: str | None) -> None:
    try:
        text, repairs = decode_bytes(body, charset)
    except (BinaryContentError, EmptyDocumentError):
        return
    assert isinstance(text, str) and all(isinstance(r, str) for r in repairs)


@PROFILE
@given(st.one_of(WORDS, ANY_TEXT))
def test_extract_text_and_normalize_any_string(text: str) -> None:
    try:
        ex = extract_text(text)
    except EmptyDocumentError:
        return
    art = normalize(ex, extractor_version="v")
    _encodable(art)
    assert art.word_count >= 0 and len(art.content_hash) == 64


@PROFILE
@given(st.one_of(HTML, ANY_TEXT))
def test_extract_html_and_normalize_any_string(html: str) -> None:
    try:
        ex = extract_html(html, url="https://news.example/2024/01/02/a")
    except EmptyDocumentError:
        return
    _encodable(normalize(ex, extractor_version="v"))


@PROFILE
@given(
    st.dictionaries(
        st.sampled_from(["text", "title", "url", "published_at", "source", "author", "lang"]),
        st.one_of(WORDS, st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
    )
)
def test_extract_jsonl_any_record(record: dict[str, Any]) -> None:
    try:
        ex = extract_jsonl_record(record)
    except ValueError:  # documented: the field's problem is named (EmptyDocumentError too)
        return
    _encodable(normalize(ex, extractor_version="v"))


@PROFILE
@given(WORDS)
def test_jsonl_line_with_escaped_surrogates(title: str) -> None:
    line = json.dumps({"title": title + " \ud800", "text": "Budget \udfff " * 30})
    art = normalize(extract_jsonl_record(json.loads(line)), extractor_version="v")
    _encodable(art)
    assert "unencodable-characters:title" in art.repairs
