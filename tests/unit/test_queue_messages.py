"""A Redis stream entry to a document to archive (newsflow.sources.queue.to_raw_input)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

from newsflow.sources.queue import Message, entry_id_of, locator, to_raw_input

STREAM = "newsflow:articles"
ENTRY = "1764460800000-3"  # 2025-11-30 00:00:00 UTC
RECORD = {"title": "Bridge vote", "text": "The council voted. " * 20, "url": "https://x.test/a"}


def raw(fields: dict, max_bytes: int = 10_000):
    return to_raw_input(STREAM, Message(ENTRY, fields), max_bytes)


def test_an_article_is_kept_as_the_bytes_that_arrived() -> None:
    article = json.dumps(RECORD, ensure_ascii=False).encode()
    doc = raw({b"article": article, b"producer": b"wire-1"})
    assert doc.origin == "queue"
    assert doc.locator == "redis://newsflow:articles/1764460800000-3"
    assert doc.body == article and doc.size_bytes == len(article)
    assert doc.content_hash == hashlib.sha256(article).hexdigest()
    assert doc.media_type == "application/jsonl" and doc.refusal is None
    assert doc.fetched_at == datetime(2025, 11, 30, tzinfo=UTC)
    assert doc.partition_date == date(2025, 11, 30)


def test_the_same_message_twice_is_the_same_document() -> None:
    article = json.dumps(RECORD)
    first = raw({"article": article})  # str fields (a client decoding responses)
    second = to_raw_input(STREAM, Message("1764460899999-0", {b"article": article.encode()}), 10**4)
    assert first.content_hash == second.content_hash
    assert first.locator != second.locator


def test_json_over_several_lines_is_put_on_one_line() -> None:
    pretty = json.dumps({**RECORD, "title": "Caf\u00e9 \u2028 line"}, indent=2).encode()
    doc = raw({b"article": pretty})
    assert doc.refusal is None and doc.body is not None
    assert b"\n" not in doc.body and len(doc.body.decode().splitlines()) == 1
    assert json.loads(doc.body) == json.loads(pretty)
    assert doc.entry_meta and "reformatted" in doc.entry_meta
    # U+2028 inside a string would split the line for the JSONL reader: escaped as well
    raw_sep = json.dumps({**RECORD, "title": "a\u2028b"}, ensure_ascii=False).encode()
    assert "\u2028" in raw_sep.decode()
    sep = raw({b"article": raw_sep})
    assert sep.body is not None and "\u2028" not in sep.body.decode()


def test_a_message_without_the_article_field_is_refused_with_its_fields_kept() -> None:
    doc = raw({b"title": b"no body", b"txt": b"oops"})
    assert doc.refusal is not None and "no 'article' field" in doc.refusal
    assert "title, txt" in doc.refusal
    assert doc.body is not None and json.loads(doc.body) == {"title": "no body", "txt": "oops"}
    assert doc.content_hash == hashlib.sha256(doc.body).hexdigest()
    huge = raw({b"blob": b"x" * 20_000})
    assert huge.body is None and huge.refusal is not None and huge.size_bytes > 20_000


def test_bad_json_and_non_objects_are_refused_with_the_reason() -> None:
    broken = raw({b"article": b'{"title": "x", "text": '})
    assert broken.refusal is not None and "not valid JSON" in broken.refusal
    assert broken.body == b'{"title": "x", "text": '
    listed = raw({b"article": b'[{"text": "a"}]'})
    assert listed.refusal is not None and "must be a JSON object" in listed.refusal
    assert "list" in listed.refusal
    binary = raw({b"article": b"\xff\xfe\x00garbage"})
    assert binary.refusal is not None and "not valid JSON" in binary.refusal


def test_a_message_over_the_size_cap_is_refused_without_its_bytes() -> None:
    article = json.dumps({"text": "x" * 5000}).encode()
    doc = raw({b"article": article}, max_bytes=1000)
    assert doc.body is None and doc.size_bytes == len(article)
    assert doc.refusal is not None and "over the" in doc.refusal
    assert doc.content_hash == hashlib.sha256(article).hexdigest()


def test_locators_round_trip() -> None:
    assert entry_id_of(STREAM, locator(STREAM, ENTRY)) == ENTRY
    assert entry_id_of("other", locator(STREAM, ENTRY)) is None
    assert entry_id_of(STREAM, "2026-01-01/a.txt") is None
