"""Unit tests for the validation suite: broken fields are repaired, broken articles rejected,
and every reason is a sentence."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from newsflow.normalize import normalize
from newsflow.records import Extracted, Normalized
from newsflow.settings import get_settings
from newsflow.validate import repair_fields, validate_batch

NOW = datetime(2026, 11, 30, tzinfo=UTC)
BODY = " ".join(
    f"Sentence number {i} of a perfectly ordinary news article about the harbour." for i in range(8)
)


def _row(**changes: object) -> Normalized:
    art = normalize(
        Extracted(text=BODY, title="Harbour reopens", url="https://news.example/a"),
        extractor_version="v",
    )
    return replace(art, **changes)  # type: ignore[arg-type]


def test_long_title_is_shortened_not_rejected() -> None:
    title = (
        "Harbour reopens after the storm: ferries resume their crossings, fishermen count the "
        "damage and the council promises a new sea wall - The Coastal Gazette Online Edition"
    )
    rows = [_row(title=title)]
    outcome = validate_batch(rows, now=NOW)
    assert outcome.failures == {}
    assert len(rows[0].title) <= get_settings().max_title_chars
    assert rows[0].title == (
        "Harbour reopens after the storm: ferries resume their crossings, fishermen count the "
        "damage and the council promises a new sea wall"
    )
    assert outcome.repairs[0][0] == "title-shortened: from 168 to 131 characters"
    assert outcome.summary["field_repairs"] == {"title-shortened": 1}


@pytest.mark.parametrize(
    "stamp",
    [
        "APR 28",
        "11 / 28 / 05",
        "Posted 11 / 27 / 2005 7: 21 AM",
        "Last Updated: Monday, 28 November 2005, 02: 24 GMT",
        "PUBLISHED FRIDAY, MARCH 8, 2013 AT 12: 46 PM / UPDATED AT 12: 48 PM",
    ],
)
def test_a_title_that_is_only_a_timestamp_is_made_from_the_text(stamp: str) -> None:
    row = _row(title=stamp)
    done = repair_fields(row, get_settings(), NOW)
    assert row.title == "Sentence number 0 of a perfectly ordinary news article about the harbour"
    assert row.title_derived
    assert done == [f"title-derived: the title “{stamp}” is a date or time stamp, not a headline"]


@pytest.mark.parametrize(
    "title",
    ["Quake hits Iran on November 27, 2005", "Top 10", "9/11", "G20 summit 2013", "Mars 2020"],
)
def test_a_headline_with_a_date_in_it_is_kept(title: str) -> None:
    row = _row(title=title)
    assert repair_fields(row, get_settings(), NOW) == []
    assert row.title == title and not row.title_derived


def test_broken_fields_are_dropped_and_recorded() -> None:
    row = _row(
        url="javascript:alert(1)",
        canonical_url="not a url",
        published_at=datetime(1, 1, 1, tzinfo=UTC),
        published_at_source="page-metadata",
        title="x",
    )
    done = repair_fields(row, get_settings(), NOW)
    assert row.url is None and row.canonical_url is None and row.published_at is None
    assert row.published_at_source is None
    assert row.title == "Sentence number 0 of a perfectly ordinary news article about the harbour"
    kinds = [d.split(":")[0] for d in done]
    assert kinds == ["title-derived", "url-dropped", "canonical_url-dropped", "date-dropped"]
    assert all(d in row.repairs for d in done)


def test_an_overlong_url_is_dropped_not_the_article() -> None:
    long_url = "https://ex.com/" + "a" * 3000  # Postgres could not index it
    row = _row(url=long_url)
    done = repair_fields(row, get_settings(), NOW)
    assert row.url is None
    assert done == ["url-dropped: 3015 characters, over 2048"]


def test_a_source_name_that_is_a_blob_is_dropped_not_the_article() -> None:
    row = _row(source="Daily Planet " * 40)
    assert repair_fields(row, get_settings(), NOW) == ["source-dropped: 520 characters, over 200"]
    assert row.source is None


def test_future_date_is_dropped() -> None:
    rows = [_row(published_at=datetime(2031, 1, 1, tzinfo=UTC), published_at_source="jsonl")]
    outcome = validate_batch(rows, now=NOW)
    assert outcome.failures == {} and rows[0].published_at is None
    assert outcome.repairs[0] == ["date-dropped:jsonl: 2031-01-01 lies in the future"]


def test_broken_articles_are_rejected_with_sentences() -> None:
    rows = [
        _row(text="Too short.", word_count=2),
        _row(text="", word_count=0),
        _row(language="fr"),
    ]
    settings = replace(get_settings(), languages=("en",))
    outcome = validate_batch(rows, settings=settings, now=NOW)
    assert set(outcome.failures) == {0, 1, 2}
    assert "The text length is 10 characters; at least 200 are needed." in outcome.failures[0]
    assert "The article has 2 words; at least 20 are needed." in outcome.failures[0]
    assert "The article has no text." in outcome.failures[1]
    assert outcome.failures[2] == ["The article's language “fr” is not accepted (accepted: en)."]
    for reasons in outcome.failures.values():
        for reason in reasons:
            assert not re.search(r"np\.|int64|b'|\[\d", reason), reason
            assert reason.endswith(".")


def test_cjk_article_is_not_too_short_in_words() -> None:
    text = "子どもへの虐待をなくすための法律ができて、親が子どもを教育するために。" * 8
    art = normalize(Extracted(text=text, title="虐待をなくす法律"), extractor_version="v")
    assert art.word_count >= 20
    assert validate_batch([art], now=NOW).failures == {}


@pytest.mark.parametrize("field", ["title", "text", "url", "byline"])
def test_lone_surrogates_never_crash_validation(field: str) -> None:
    ex = Extracted(text=BODY, title="Budget", url="https://news.example/a")
    setattr(ex, field, (getattr(ex, field) or "") + " \ud800")
    art = normalize(ex, extractor_version="v")
    assert f"unencodable-characters:{field}" in art.repairs
    outcome = validate_batch([art], now=NOW)
    for value in (art.title, art.text, art.url or "", art.byline or ""):
        value.encode("utf-8")
    assert outcome.summary["evaluated"] == 1
