"""The extraction stage against a real database: unencodable characters reach neither
great-expectations nor COPY as such, broken fields do not lose articles, inbox-folder dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow import jobs, runs
from tests.integration.helpers import article_text, query


def _ingest(url: str, inbox: Path, run: str) -> dict:
    return jobs.ingest_inbox(url, runs.identity("test", run), inbox=inbox)


def test_lone_surrogates_and_nul_are_stored_repaired(db_url: str, inbox: Path) -> None:
    # JSON escapes that decode to lone surrogates and NUL: valid JSON, invalid UTF-8 text
    line = (
        '{"title": "Budget \\ud800 vote", "text": "'
        + article_text(7).replace('"', "'").replace("\n", " ")
        + ' \\udfff end \\u0000.", "url": "https://news.example/budget", '
        '"source": "Example \\ud83d"}'
    )
    (inbox / "odd.jsonl").write_text(line + "\n", encoding="utf-8")
    run = _ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 1 and run["quarantined"] == 0, run
    [art] = query(db_url, "SELECT title, text, repairs FROM news.articles")
    assert art["title"] == "Budget \ufffd vote"
    assert "\x00" not in art["text"] and art["text"].endswith("\ufffd end .")
    assert {"unencodable-characters:title", "unencodable-characters:text"} <= set(art["repairs"])


def test_inbox_folder_date_and_long_title(db_url: str, inbox: Path) -> None:
    folder = inbox / "2026-11-18"
    folder.mkdir()
    title = "Council " + "approves the long-awaited transport budget, " * 5 + "finally"
    record = {"title": title, "text": article_text(3), "published_at": "0001-01-01T00:00:00Z"}
    (folder / "wire.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    run = _ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 1, run
    [art] = query(
        db_url, "SELECT title, published_at, published_at_source, repairs FROM news.articles"
    )
    assert art["published_at"] == datetime(2026, 11, 18, tzinfo=UTC)
    assert art["published_at_source"] == "inbox-folder"
    assert len(art["title"]) <= 160
    assert any(r.startswith("title-shortened:") for r in art["repairs"])
    assert any(r.startswith("date-dropped:jsonl: 0001-01-01") for r in art["repairs"])


def test_jsonl_lines_end_at_newlines_only_and_a_bom_per_line_is_removed(
    db_url: str, inbox: Path
) -> None:
    """U+2028, U+2029 and U+0085 may stand raw in a JSON string (json.dumps with
    ensure_ascii=False writes them so); str.splitlines() broke a record there. Files joined with
    `cat`, each saved with a BOM, have one at the start of a line."""
    records = [
        {"title": "Line separator inside", "text": article_text(11) + "\u2028" + "More."},
        {"title": "Next line inside", "text": article_text(12) + "\u0085" + "More."},
        {"title": "Paragraph separator inside", "text": article_text(13) + "\u2029" + "More."},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    bommed = "\ufeff" + json.dumps({"title": "After a BOM", "text": article_text(14)})
    body = "\r\n".join([*lines, bommed]) + "\r\n"
    (inbox / "joined.jsonl").write_bytes(body.encode("utf-8"))
    run = _ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 4 and run["quarantined"] == 0, run
    rows = query(db_url, "SELECT title, item_no, repairs FROM news.articles ORDER BY item_no")
    assert [(r["title"], r["item_no"]) for r in rows] == [
        ("Line separator inside", 1),
        ("Next line inside", 2),
        ("Paragraph separator inside", 3),
        ("After a BOM", 4),
    ]
    assert "bom-removed" in rows[3]["repairs"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "utf8-bom"])
def test_a_jsonl_file_joined_from_two_encodings_is_decoded_line_by_line(
    db_url: str, inbox: Path, bom: bytes
) -> None:
    """Lines written by different tools and joined: one decision for the whole file turned
    the UTF-8 lines into mojibake ("CafÃ©"); each line is decoded on its own now, also after
    a UTF-8 byte order mark (only UTF-16/32 lines cannot be split as bytes)."""
    utf8 = json.dumps({"title": "Café council meeting report", "text": article_text(21)},
                      ensure_ascii=False).encode("utf-8")  # fmt: skip
    cp1252 = json.dumps({"title": "Fête à Zürich: élèves en fête", "text": article_text(22)},
                        ensure_ascii=False).encode("cp1252")  # fmt: skip
    (inbox / "joined.jsonl").write_bytes(bom + utf8 + b"\n" + cp1252 + b"\n")
    run = _ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 2, run
    rows = query(db_url, "SELECT title, item_no, repairs FROM news.articles ORDER BY item_no")
    assert [r["title"] for r in rows] == [
        "Café council meeting report",
        "Fête à Zürich: élèves en fête",
    ]
    assert not any(r.startswith(("charset", "invalid")) for r in rows[0]["repairs"])
    assert any(r.startswith("charset") for r in rows[1]["repairs"]), rows[1]["repairs"]


def test_a_utf16_jsonl_file_without_a_byte_order_mark_is_read(db_url: str, inbox: Path) -> None:
    lines = [
        json.dumps({"title": title, "text": article_text(seed)}, ensure_ascii=False)
        for title, seed in (("Café council meeting report", 23), ("Fête à Zürich", 24))
    ]
    (inbox / "wide.jsonl").write_bytes(("\n".join(lines) + "\n").encode("utf-16-le"))
    run = _ingest(db_url, inbox, "r1")
    assert run["articles_stored"] == 2, run
    rows = query(db_url, "SELECT title, repairs FROM news.articles ORDER BY item_no")
    assert [r["title"] for r in rows] == ["Café council meeting report", "Fête à Zürich"]
    assert all("bom-missing: decoded as utf-16-le" in r["repairs"] for r in rows)
