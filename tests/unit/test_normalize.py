"""Unit tests for newsflow.normalize: URLs, language, hashing, titles, normalize()."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsflow.normalize import (
    canonicalize_url,
    content_hash,
    derive_title,
    detect_language,
    normalize,
    repair_backslash_quotes,
    split_sentences,
)
from newsflow.records import Extracted

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

RUSSIAN = (
    "Вооружённые формирования сирийской оппозиции подошли к окраинам Хомса, третьего по "
    "величине города страны. Об этом в субботу сообщила Сирийская обсерватория по правам "
    "человека."
)


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/World/Story?utm_source=rss&utm_medium=feed&id=7#comments",
            "https://www.example.com/World/Story?id=7",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a?b=2&a=1&fbclid=xyz&gclid=abc", "https://example.com/a?a=1&b=2"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("  https://example.com/padded  ", "https://example.com/padded"),
        ("http://localhost:8080/feed", "http://localhost:8080/feed"),
        # what names the page is kept as written: a parameter without a value, ";" (path
        # parameters, query separators), "(", percent escapes; only what may not stand in a
        # URL is escaped
        ("https://ex.com/story.php?12345", "https://ex.com/story.php?12345"),
        ("https://ex.com/story.php?12346&utm_source=x", "https://ex.com/story.php?12346"),
        ("https://ex.com/item;id=7", "https://ex.com/item;id=7"),
        ("https://ex.com/x?b=1;c=2", "https://ex.com/x?b=1;c=2"),
        ("https://ex.com/x?q=a%20b&empty=", "https://ex.com/x?empty=&q=a%20b"),
        ("https://ex.com/wiki/Foo_(bar)", "https://ex.com/wiki/Foo_(bar)"),
        # trackers by their whole name: parameters that start like one name the page
        (
            "https://ex.com/recap?gameId=4015&galleryid=3&cid=55&refno=2&sourceid=9&ref=home"
            "&_ga=2.1&mc_cid=1&msclkid=7&source=rss&at_medium=x&ref_src=twsrc%5Etfw&gaa_at=eafs"
            "&s_cid=4&sessionid=99",
            "https://ex.com/recap?cid=55&galleryid=3&gameId=4015&refno=2&sourceid=9",
        ),
        ("https://ex.com/x?a=3&b=1&a=1", "https://ex.com/x?a=3&a=1&b=1"),
        ("https://ex.com/über?q=ä", "https://ex.com/%C3%BCber?q=%C3%A4"),
        ("https://ex.com//a//b?&&", "https://ex.com/a/b"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "not a url",
        "ftp://example.com/file",
        "mailto:news@example.com",
        "javascript:alert(1)",
        "//example.com/no-scheme",
        "/relative/path",
        "http://",
        "https://nodot/",
        "https://exa mple.com/",
    ],
)
def test_canonicalize_url_rejects(url: str | None) -> None:
    assert canonicalize_url(url) is None


def test_an_overlong_url_is_no_canonical_url() -> None:
    """Postgres cannot index a value of several kB (articles.canonical_url is unique)."""
    assert canonicalize_url("https://ex.com/" + "a" * 2100) is None
    assert canonicalize_url("https://ex.com/" + "a" * 2000) is not None


def test_canonicalize_url_is_idempotent() -> None:
    once = canonicalize_url("https://News.Example.org/a/b/?utm_campaign=x&page=2#top")
    assert once == "https://news.example.org/a/b/?page=2"
    assert canonicalize_url(once) == once


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebel forces have reached the outskirts of the city, officials said on Saturday.", "en"),
        ("Die Rebellen haben nach eigenen Angaben die Außenbezirke der Stadt erreicht.", "de"),
        (RUSSIAN, "ru"),
        (
            "Les rebelles ont atteint la périphérie de la ville, selon les autorités syriennes.",
            "fr",
        ),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "ok", "Hello", "12345 67890", "   \n  "])
def test_detect_language_too_short(text: str) -> None:
    assert detect_language(text) is None


def test_content_hash_is_sha256_hex() -> None:
    digest = content_hash("Some text")
    # sha256 of the canonical form: NFC, casefolded, whitespace collapsed
    assert digest == hashlib.sha256(b"some text").hexdigest()


def test_content_hash_ignores_whitespace_and_case() -> None:
    a = "Rebels reach Homs.\n\nThe advance continues."
    b = "  REBELS   reach homs.\nThe   advance\tcontinues.  "
    assert content_hash(a) == content_hash(b)


def test_content_hash_is_nfc_invariant() -> None:
    assert content_hash("Cafe\u0301 society") == content_hash("Café society")


def test_content_hash_differs_for_different_text() -> None:
    assert content_hash("Rebels reach Homs.") != content_hash("Rebels reach Hama.")


# --------------------------------------------------------------------------- derive_title


def test_derive_title_short_first_sentence() -> None:
    text = "Rebels reach the outskirts of Homs. The government denies it.\n\nMore text."
    assert derive_title(text) == "Rebels reach the outskirts of Homs"


def test_derive_title_uses_first_sentence_not_paragraph() -> None:
    text = (
        "Turkey urged an end to the bloodshed. India and the US issued advisories for "
        "their citizens to leave the country. Israel braced for new uncertainties."
    )
    assert derive_title(text) == "Turkey urged an end to the bloodshed"


def test_derive_title_cuts_long_sentence_at_clause_boundary() -> None:
    text = (
        "In a dramatic escalation of Syria’s long-running civil war, insurgent forces have "
        "launched a sweeping offensive, capturing key cities and advancing perilously close "
        "to the capital, Damascus. Second sentence."
    )
    title = derive_title(text)
    assert title == (
        "In a dramatic escalation of Syria’s long-running civil war, insurgent forces have "
        "launched a sweeping offensive"
    )
    assert len(title) <= 120


def test_derive_title_cuts_at_dash_but_not_hyphen() -> None:
    text = (
        "The regime’s allies in Tehran and Moscow are preoccupied with crises of their own "
        "at home and abroad — leaving the Assad government increasingly isolated as al-Qaeda "
        "offshoots advance."
    )
    title = derive_title(text, max_chars=100)
    assert title == (
        "The regime’s allies in Tehran and Moscow are preoccupied with crises of their own "
        "at home and abroad"
    )


def test_derive_title_word_boundary_with_ellipsis() -> None:
    text = " ".join(["word"] * 80)
    title = derive_title(text)
    assert title.endswith("…")
    assert len(title) <= 120
    assert not title[:-1].endswith(" ")
    assert set(title[:-1].split()) == {"word"}


def test_derive_title_unbroken_text() -> None:
    title = derive_title("x" * 500, max_chars=50)
    assert len(title) == 50
    assert title.endswith("…")


def test_derive_title_keeps_question_and_initialisms() -> None:
    assert derive_title("Is the war over? Nobody knows.") == "Is the war over?"
    assert derive_title("Talks were held in the U.S. Nothing was agreed.") == (
        "Talks were held in the U.S."
    )


def test_derive_title_abbreviations_do_not_end_the_sentence() -> None:
    text = "Dr. Smith met U.S. officials in St. Petersburg on Monday. They talked."
    assert derive_title(text) == "Dr. Smith met U.S. officials in St. Petersburg on Monday"


def test_derive_title_strips_dateline() -> None:
    text = "DAMASCUS, Syria (AP) — Rebels entered the capital on Sunday, witnesses said."
    assert derive_title(text) == "Rebels entered the capital on Sunday, witnesses said"


def test_derive_title_skips_leading_blank_lines_and_empty() -> None:
    assert derive_title("\n\n   \nFirst real line here. Second.") == "First real line here"
    assert derive_title("") == ""
    assert derive_title("  \n ") == ""


def test_derive_title_never_ends_with_comma_or_periods() -> None:
    for text in ["Wait for it..., they said.", "Something happened,", "Ends with dots...."]:
        title = derive_title(text)
        assert title
        assert not title.endswith((",", ".", ";", ":"))


def test_split_sentences() -> None:
    assert split_sentences("One. Two? “Three!” four is lower. Five.") == [
        "One.",
        "Two?",
        "“Three!” four is lower.",
        "Five.",
    ]


# --------------------------------------------------------------------------- normalize


def test_repair_backslash_quotes() -> None:
    fixed, changed = repair_backslash_quotes(r"state media said \”major operations\” and Assad\’s")
    assert changed
    assert fixed == "state media said “major operations” and Assad’s"
    fixed, changed = repair_backslash_quotes(r"He said \"no\" and it\'s over")
    assert fixed == 'He said "no" and it\'s over'
    assert repair_backslash_quotes("C:\\path\\file") == ("C:\\path\\file", False)


def _extracted(**overrides: object) -> Extracted:
    base: dict[str, object] = {
        "text": (
            "Rebel forces  reached the   outskirts of Homs on Saturday.\n"
            "\n\n\nThe advance leaves the capital exposed, officials said.\r\n"
            "Analysts said the coming days would be decisive."
        ),
        "title": "  Rebels reach\n Homs ",
        "url": "https://www.example.com/story?utm_source=rss",
        "extractor": "jsonl",
    }
    base.update(overrides)
    return Extracted(**base)  # type: ignore[arg-type]


def test_normalize_whitespace_and_paragraphs() -> None:
    n = normalize(_extracted(), extractor_version="test-1")
    assert n.text == (
        "Rebel forces reached the outskirts of Homs on Saturday.\n\n"
        "The advance leaves the capital exposed, officials said.\n\n"
        "Analysts said the coming days would be decisive."
    )
    assert n.title == "Rebels reach Homs"
    assert n.title_derived is False
    assert n.word_count == 25
    assert n.content_hash == content_hash(n.text)
    assert n.extractor_version == "test-1"
    assert n.canonical_url == "https://www.example.com/story"
    assert n.url == "https://www.example.com/story?utm_source=rss"
    assert n.language == "en"


def test_normalize_nfc() -> None:
    n = normalize(
        _extracted(
            text="Cafe\u0301 owners in Zu\u0308rich reopened on Monday.", title="Cafe\u0301"
        ),
        extractor_version="v",
    )
    assert "Café" in n.text and "Zürich" in n.text
    assert n.title == "Café"


def test_normalize_repairs_backslash_quotes_everywhere() -> None:
    n = normalize(
        _extracted(
            text=r"Media reported \”major operations\” under way. It\’s unclear.",
            title=r"Assad\’s \"final stage\"",
            cited_sources=[r"AP News: \”Is Bashar Assad\’s rule at risk?\”"],
            summary_points=[r"It\'s a shift."],
        ),
        extractor_version="v",
    )
    assert "\\" not in n.text + n.title + "".join(n.cited_sources) + "".join(n.summary_points)
    assert n.text.startswith("Media reported “major operations” under way. It’s unclear.")
    assert n.title == 'Assad’s "final stage"'
    assert n.cited_sources == ["AP News: “Is Bashar Assad’s rule at risk?”"]
    assert n.summary_points == ["It's a shift."]
    assert n.repairs.count("backslash-quotes") == 1


def test_normalize_derives_missing_title() -> None:
    n = normalize(_extracted(title=None), extractor_version="v")
    assert n.title == "Rebel forces reached the outskirts of Homs on Saturday"
    assert n.title_derived is True
    n = normalize(_extracted(title="   "), extractor_version="v")
    assert n.title_derived is True


def test_normalize_published_at_utc() -> None:
    naive = datetime(2024, 12, 7, 9, 30)
    n = normalize(
        _extracted(published_at=naive, published_at_source="jsonl"), extractor_version="v"
    )
    assert n.published_at == datetime(2024, 12, 7, 9, 30, tzinfo=UTC)
    assert n.published_at_source == "jsonl"

    plus_three = timezone(timedelta(hours=3))
    n = normalize(
        _extracted(published_at=datetime(2024, 12, 7, 12, 0, tzinfo=plus_three)),
        extractor_version="v",
    )
    assert n.published_at is not None
    assert n.published_at.utcoffset() == timedelta(0)
    assert n.published_at == datetime(2024, 12, 7, 9, 0, tzinfo=UTC)


def test_normalize_keeps_only_the_documents_own_date() -> None:
    own = datetime(2024, 12, 7, tzinfo=UTC)
    n = normalize(
        _extracted(published_at=own, published_at_source="page-metadata"),
        extractor_version="v",
    )
    assert n.published_at == own
    assert n.published_at_source == "page-metadata"

    n = normalize(_extracted(), extractor_version="v")
    assert n.published_at is None
    assert n.published_at_source is None


def test_normalize_language_given_or_detected() -> None:
    assert normalize(_extracted(language="en-GB"), extractor_version="v").language == "en"
    assert normalize(_extracted(language="DE"), extractor_version="v").language == "de"
    ru = normalize(_extracted(text=RUSSIAN, language=None), extractor_version="v")
    assert ru.language == "ru"


def test_normalize_prefers_page_canonical_url() -> None:
    n = normalize(
        _extracted(canonical_url="https://Example.com/canonical/#x"), extractor_version="v"
    )
    assert n.canonical_url == "https://example.com/canonical/"
    n = normalize(_extracted(url="not a url", canonical_url=None), extractor_version="v")
    assert n.canonical_url is None


def test_normalize_keeps_repairs_and_strips_byline_prefix() -> None:
    n = normalize(
        _extracted(repairs=["invalid-utf8: 3 bytes replaced"], byline="By  Lois   Lane"),
        extractor_version="v",
    )
    assert n.repairs == ["invalid-utf8: 3 bytes replaced"]
    assert n.byline == "Lois Lane"


def test_normalize_zero_width_and_nbsp() -> None:
    n = normalize(
        _extracted(text="Rebels\u00a0reached\u200b Homs\u00a0\u00a0on Saturday."),
        extractor_version="v",
    )
    assert n.text == "Rebels reached Homs on Saturday."


def test_whitespace_helpers_match_their_regular_expressions() -> None:
    """collapse_whitespace and clean_body split on str's whitespace: the same characters as
    the regular expressions they replaced, checked on every whitespace and invisible one."""
    import re

    from newsflow.text import clean_body, collapse_whitespace

    spaces = "".join(chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c)))
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
    text = f"{spaces}a{invisible}b{spaces}c\u00a0d\u3000e{invisible}{spaces}"
    drop = re.compile(f"[{invisible}]")
    expected = re.sub(r"\s+", " ", drop.sub("", text)).strip()
    assert collapse_whitespace(text) == expected == "ab c d e"
    lines = [re.sub(r"[^\S\n]+", " ", ln).strip() for ln in drop.sub("", text).split("\n")]
    assert clean_body(text) == "\n\n".join(ln for ln in lines if ln)


def test_content_hash_ignores_the_typesetting_of_quotes_and_dashes() -> None:
    """One wire story, typeset by two papers: under 50 words it has no near-duplicate check,
    so its hash is what tells the copies apart or not."""
    straight = 'The WHO said it was "deeply concerned" about the children\'s ward - again.'
    curly = "The WHO said it was \u201cdeeply concerned\u201d about the children\u2019s ward \u2013 again."
    assert content_hash(straight) == content_hash(curly)
    assert content_hash(straight) != content_hash(straight.replace("deeply", "very"))
