"""Unit tests for newsflow.extract: the real seed files, HTML fixtures and JSONL records."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from newsflow_tools.evaluation.data import SEEDS_DIR

import newsflow.extract.page as extract_mod
from newsflow.decode import EmptyDocumentError, decode_bytes
from newsflow.extract import (
    EXTRACTOR_VERSION,
    extract_html,
    extract_jsonl_record,
    extract_text,
    parse_datetime,
)
from newsflow.normalize import normalize
from newsflow.records import Extracted, Normalized

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"

HEADLINE_001 = "Syrian Rebels Advance Towards Homs, Threatening Damascus"
TAKEAWAYS_001 = [
    "The rebel offensive represents a significant shift in the Syrian civil war, "
    "highlighting the vulnerabilities of Assad's regime.",
    "HTS's recent territorial gains suggest a potential realignment of power dynamics in "
    "Syria, with implications for regional stability.",
    "The international community's response, particularly from Russia and Iran, will be "
    "crucial in determining the outcome of the conflict.",
    "The humanitarian impact of the ongoing violence is severe, with thousands displaced and "
    "civilian casualties reported.",
    "If the rebels capture Homs, they may launch a full-scale assault on Damascus, "
    "potentially leading to a regime collapse.",
    "Increased military support from Russia could alter the course of the conflict, possibly "
    "leading to a renewed stalemate.",
    "The humanitarian crisis may worsen, with more civilians displaced and at risk as "
    "fighting intensifies near major urban centers.",
]
HEADINGS_002 = [
    "Rebel Gains Mark Turning Point",
    "Government Forces Struggle to Regroup",
    "Regional Alliances Under Strain",
    "International Community Reacts",
    "Humanitarian Crisis Deepens",
    "What’s at Stake?",
    "The Path Forward",
]


def _seed_files() -> list[Path]:
    files = sorted(SEEDS_DIR.glob("*.txt"))
    assert len(files) == 5, f"expected the 5 seed files in {SEEDS_DIR}"
    return files


def _run(path: Path) -> tuple[Extracted, Normalized]:
    text, repairs = decode_bytes(path.read_bytes())
    assert repairs == []
    ex = extract_text(text)
    return ex, normalize(ex, extractor_version=EXTRACTOR_VERSION)


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[Extracted, Normalized]]:
    return {path.name[:3]: _run(path) for path in _seed_files()}


def _headline_like(title: str) -> bool:
    return (
        0 < len(title) <= 120
        and "\n" not in title
        and title == title.strip()
        and title[0].isupper()
        and not re.search(r"[,;:]$|\.$|\.\.+$", title)
        and len(title.split()) >= 3
    )


# --------------------------------------------------------------------------- seeds


def _sample_outputs() -> str:
    """What extraction and normalisation make of the sample inbox (every .txt, .html and
    .jsonl file of data/inbox) and of the seeds, as sorted JSON: a guard, not a proof (a
    change that none of them meets goes unnoticed)."""
    import json
    from pathlib import Path

    from newsflow.decode import decode_bytes
    from newsflow.extract import extract_html, extract_jsonl_record, extract_text

    project = Path(__file__).resolve().parents[2]
    paths = [*sorted((project / "data" / "inbox").rglob("*")), *_seed_files()]
    out: list[dict[str, Any]] = []
    for path in paths:
        if path.suffix not in (".txt", ".html", ".jsonl") or not path.read_bytes().strip():
            continue
        try:
            text, _ = decode_bytes(path.read_bytes())
        except ValueError:
            continue
        extracted = []
        try:
            if path.suffix == ".html":
                extracted = [extract_html(text)]
            elif path.suffix == ".txt":
                extracted = [extract_text(text)]
            else:
                for line in text.splitlines():
                    if line.strip():
                        extracted.append(extract_jsonl_record(json.loads(line)))
        except ValueError:
            continue
        for ex in extracted:
            n = normalize(ex, extractor_version="pinned")
            out.append(
                {"file": path.name, "title": n.title, "text": n.text, "byline": n.byline,
                 "published_at": str(n.published_at), "language": n.language,
                 "canonical_url": n.canonical_url, "repairs": n.repairs}
            )  # fmt: skip
    return json.dumps(out, sort_keys=True, ensure_ascii=False)


def test_what_extraction_gives_is_pinned_to_the_extractor_version() -> None:
    """Reprocessing re-extracts the articles made by another EXTRACTOR_VERSION: a change to
    what extraction or normalisation gives that does not bump it is never applied to stored
    articles. Any change to the outputs of the sample inbox and the seeds must come with a
    bump; then pin the new digest here beside the new version."""
    import hashlib

    digest = hashlib.sha256(_sample_outputs().encode()).hexdigest()[:16]
    assert (EXTRACTOR_VERSION, digest) == ("2026.12.3", "8f3ae470abf2a03b"), (
        "extraction gives other outputs than those pinned for this EXTRACTOR_VERSION: bump it "
        "(so that reprocessing applies the change to stored articles) and pin the new digest"
    )


def test_five_seed_records(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    for ex, n in seeds.values():
        assert ex.extractor == "text-heuristics"
        assert n.extractor_version == EXTRACTOR_VERSION
        assert n.language == "en"
        assert n.word_count > 250
        assert len(n.content_hash) == 64


def test_seed_001_headline_and_takeaways(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    ex, n = seeds["001"]
    assert n.title == HEADLINE_001
    assert n.title_derived is False
    assert n.summary_points == TAKEAWAYS_001
    assert n.text.startswith("In a significant escalation of the Syrian civil war")
    assert HEADLINE_001 not in n.text
    for takeaway in TAKEAWAYS_001:
        assert takeaway not in n.text
    assert "HTS Leader Outlines Goals and Strategy" in n.text.split("\n\n")


@pytest.mark.parametrize("key", ["000", "002", "003", "004"])
def test_seed_without_headline_gets_derived_title(
    seeds: dict[str, tuple[Extracted, Normalized]], key: str
) -> None:
    ex, n = seeds[key]
    assert n.title_derived is True
    assert ex.title_derived is True
    assert n.summary_points == []
    first_paragraph = n.text.split("\n\n")[0]
    assert n.title != first_paragraph
    assert first_paragraph.startswith(n.title)  # taken from the first sentence


def test_seed_derived_titles_exact(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    assert seeds["000"][1].title == (
        "Syrian rebel forces have made significant advances toward Damascus, threatening "
        "President Bashar al-Assad's stronghold"
    )
    assert seeds["002"][1].title == (
        "In a dramatic escalation of Syria’s long-running civil war, insurgent forces have "
        "launched a sweeping offensive"
    )
    assert seeds["003"][1].title == (
        "The regime of Syrian President Bashar al-Assad faces its most serious threat in years"
    )
    assert seeds["004"][1].title == (
        "Syrian rebels have made significant gains in their ongoing assault against the regime "
        "of Bashar al-Assad"
    )


def test_seed_titles_read_as_headlines(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    for key, (_, n) in seeds.items():
        assert _headline_like(n.title), f"{key}: {n.title!r}"


def test_seed_texts_are_clean(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    for key, (_, n) in seeds.items():
        assert "Comments (0)" not in n.text, key
        assert not re.search(r"\\[\"'”“’‘]", n.text), key
        assert "Sources:" not in n.text, key
        assert "\n\n\n" not in n.text and "  " not in n.text, key
        for takeaway in TAKEAWAYS_001:
            assert takeaway not in n.text, key
        for paragraph in n.text.split("\n\n"):
            assert paragraph == paragraph.strip() and paragraph, key


def test_seed_000_comments_boilerplate_recorded(
    seeds: dict[str, tuple[Extracted, Normalized]],
) -> None:
    ex, n = seeds["000"]
    assert "boilerplate:Comments (0)" in n.repairs
    assert n.text.endswith("leaving questions about Syria’s future governance and stability.")


def test_seed_002_sources_and_escapes(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    _, n = seeds["002"]
    assert n.cited_sources == [
        "AP News: “Is Bashar Assad’s rule at risk of collapse?”",
        "Reuters: “Syrian rebel assault widens as Assad races to defend Homs, Damascus”",
        "The Sun: “Syria rebels now 6 MILES from capital after seizing major cities in "
        "lightning blitz as Assad regime faces total collapse”",
        "The Guardian: “Syria crisis escalates as insurgents capture strategic cities”",
    ]
    assert "Sources:" not in n.text
    assert "AP News" not in n.text and "The Guardian:" not in n.text
    assert "reporting that “major operations” are underway" in n.text
    assert "backslash-quotes" in n.repairs
    assert n.text.endswith("the latest escalation is a grim reminder of the enduring cost of war.")


def test_seed_002_headings_are_own_paragraphs(
    seeds: dict[str, tuple[Extracted, Normalized]],
) -> None:
    _, n = seeds["002"]
    paragraphs = n.text.split("\n\n")
    for heading in HEADINGS_002:
        assert heading in paragraphs, heading
        idx = paragraphs.index(heading)
        assert len(paragraphs[idx + 1]) > 100  # followed by its section, not glued to it
    assert "What’s at Stake? The current" not in n.text


def test_seed_003_headings_are_own_paragraphs(
    seeds: dict[str, tuple[Extracted, Normalized]],
) -> None:
    _, n = seeds["003"]
    paragraphs = n.text.split("\n\n")
    for heading in ["A Crumbling Regime and Distracted Allies", "Rebels Seize Key Cities"]:
        assert heading in paragraphs
    assert n.text.endswith("the future of Syria itself.")


def test_seed_hashes_distinct(seeds: dict[str, tuple[Extracted, Normalized]]) -> None:
    hashes = {n.content_hash for _, n in seeds.values()}
    assert len(hashes) == 5


# --------------------------------------------------------------------------- plain-text fixtures


def test_text_hard_wrapped_with_byline_and_trailing_boilerplate() -> None:
    ex = extract_text((FIXTURES / "text" / "wrapped_with_byline.txt").read_text("utf-8"))
    assert ex.title == "Aid convoys reach northern Syria as fighting shifts south"
    assert ex.title_derived is False
    assert ex.byline == "Jane Doe and John Roe"
    paragraphs = ex.text.split("\n\n")
    assert paragraphs[0].startswith("The first United Nations aid convoys in more than a week")
    assert paragraphs[0].endswith("around Aleppo and Hama in recent days.")
    assert "\n" not in paragraphs[0]
    assert "What Happens Next" in paragraphs
    assert "Read more" not in ex.text and "Share this article" not in ex.text
    assert "boilerplate:Share this article" in ex.repairs
    assert any(r.startswith("boilerplate:Read more") for r in ex.repairs)


def test_text_bullet_takeaways_and_numbered_references() -> None:
    ex = extract_text((FIXTURES / "text" / "bullet_takeaways.txt").read_text("utf-8"))
    assert ex.title == "Rebels Tighten Grip on Central Syria"
    assert ex.summary_points == [
        "Rebels captured two provincial capitals in a week",
        "The government has moved reinforcements to Homs",
        "More than 370,000 people have been displaced, the UN says",
    ]
    assert ex.cited_sources == [
        "Syrian Observatory for Human Rights, daily bulletin",
        'UN Office for the Coordination of Humanitarian Affairs, "Flash update"',
    ]
    assert ex.text.startswith("Rebel forces consolidated their hold")
    assert ex.text.endswith("would shape the talks.")
    for junk in ("Key takeaways", "References", "Leave a comment", "Advertisement", "\\"):
        assert junk not in ex.text
    assert "boilerplate:Leave a comment" in ex.repairs


def test_text_heading_inside_body_is_not_taken_as_title() -> None:
    text = (
        "Government troops withdrew from several towns overnight, a monitoring group said. "
        "Residents reported heavy air strikes on the approaches to the city.\n"
        "Rebels Seize Key Cities\n"
        "The latest offensive began on November 27 and has moved faster than any since the "
        "war froze in 2020, catching the government and its allies off guard across the north.\n"
    )
    ex = extract_text(text)
    assert ex.title_derived is True
    assert (
        ex.title
        == "Government troops withdrew from several towns overnight, a monitoring group said"
    )
    assert ex.text.split("\n\n")[1] == "Rebels Seize Key Cities"


def test_text_single_sentence_before_heading_is_not_a_takeaway() -> None:
    text = (
        "Rebels entered the city at dawn.\n"
        "What Happens Now\n"
        "The government has not commented on the reports, which could not be independently "
        "verified, but state television broadcast footage of troops on the move near the coast.\n"
    )
    ex = extract_text(text)
    assert ex.summary_points == []
    assert ex.title == "Rebels entered the city at dawn"
    assert ex.title_derived is True
    assert ex.text.startswith("Rebels entered the city at dawn.\n\nWhat Happens Now\n\n")


def test_text_inline_sources_line() -> None:
    text = (
        "Rebel forces reached the outskirts of Homs on Saturday, officials said, after a "
        "week-long offensive that upended the front lines.\n"
        "Sources: Reuters; AP; Syrian Observatory for Human Rights\n"
        "Comments (12)\n"
    )
    ex = extract_text(text)
    assert ex.cited_sources == ["Reuters", "AP", "Syrian Observatory for Human Rights"]
    assert "Sources" not in ex.text and "Comments" not in ex.text


def test_text_heading_directly_above_wrapped_paragraph() -> None:
    text = (FIXTURES / "text" / "wrapped_with_byline.txt").read_text("utf-8")
    text = text.replace("What Happens Next\n\n", "What Happens Next\n")
    paragraphs = extract_text(text).text.split("\n\n")
    assert "What Happens Next" in paragraphs
    assert paragraphs[paragraphs.index("What Happens Next") + 1].startswith("Officials warned")


def test_text_sources_one_per_line() -> None:
    text = (
        "Rebels advanced on the city on Saturday, taking three towns, witnesses said and "
        "officials confirmed.\nSources:\nAP News\nReuters, 7 December\n"
    )
    ex = extract_text(text)
    assert ex.cited_sources == ["AP News", "Reuters, 7 December"]
    assert ex.text.endswith("officials confirmed.")


def test_text_sources_header_followed_by_prose_is_kept() -> None:
    prose = (
        "Officials declined to name the people who had briefed them, citing the security "
        "situation, and said more details would follow in the coming days once the fighting "
        "around the city had eased and communications were restored across the province."
    )
    ex = extract_text(f"Rebels advanced on Saturday, witnesses said.\nSources\n{prose}\n")
    assert ex.cited_sources == []
    assert ex.text.endswith(prose)


def test_text_crlf_and_bom() -> None:
    ex = extract_text("\ufeffFirst paragraph here, said officials.\r\nSecond paragraph.\r\n")
    assert ex.text == "First paragraph here, said officials.\n\nSecond paragraph."


def test_text_empty_raises() -> None:
    with pytest.raises(EmptyDocumentError):
        extract_text("  \n\n ")


# --------------------------------------------------------------------------- HTML


def _html(name: str) -> str:
    text, _ = decode_bytes((FIXTURES / "html" / name).read_bytes())
    return text


def test_html_daily_planet_fields() -> None:
    url = "https://www.dailyplanet.example/world/middle-east/rebels-reach-homs-1234?utm_source=rss"
    ex = extract_html(_html("daily_planet_homs.html"), url=url)
    assert ex.extractor == "trafilatura"
    assert ex.title == "Rebels reach the outskirts of Homs as government lines collapse"
    assert ex.byline == "Lois Lane"
    assert ex.published_at == datetime(2024, 12, 7, 8, 30, tzinfo=UTC)
    assert ex.published_at_source == "page-metadata"
    assert ex.language == "en"
    assert ex.source == "The Daily Planet"
    assert ex.url == url
    assert ex.canonical_url == (
        "https://www.dailyplanet.example/world/middle-east/rebels-reach-homs-1234"
    )
    paragraphs = ex.text.split("\n\n")
    assert paragraphs[0].startswith("Syrian rebels reached the outskirts of Homs on Saturday")
    assert "A strategic crossroads" in paragraphs
    assert paragraphs[-1].startswith("The United Nations said more than 370,000")
    for junk in (
        "Privacy policy",
        "Subscribe",
        "Politics",
        "Related articles",
        "Aleppo falls",
        "Stay safe everyone",
        "nobody saw it coming",
        "All rights reserved",
        "Share this article",
        "Advertisement",
        "dataLayer",
        "font-family",
    ):
        assert junk not in ex.text, junk

    n = normalize(ex, extractor_version=EXTRACTOR_VERSION)
    assert n.title_derived is False
    assert n.canonical_url == ex.canonical_url
    assert n.published_at == ex.published_at


def test_html_jsonld_metadata_and_og_url() -> None:
    ex = extract_html(
        _html("rundschau_jsonld.html"),
        url="https://rundschau.example/politik/ausland/rebellen-homs-100.html?utm_campaign=x#top",
    )
    assert ex.title == "Rebellen erreichen Homs – Regierungstruppen ziehen sich zurück"
    assert ex.byline == "Erika Mustermann"
    assert ex.published_at == datetime(2024, 12, 7, 14, 15, tzinfo=UTC)
    assert ex.published_at_source == "page-metadata"
    assert ex.language == "de"
    assert ex.source == "Rundschau Online"
    assert ex.canonical_url == "https://rundschau.example/politik/ausland/rebellen-homs-100.html"
    assert ex.text.startswith("Die Rebellen in Syrien haben nach eigenen Angaben")
    for junk in ("Cookies", "Startseite", "Meistgelesen", "Bundesliga", "Impressum", "Von Erika"):
        assert junk not in ex.text, junk
    assert normalize(ex, extractor_version="v").language == "de"


def test_html_windows_1251_page_without_charset() -> None:
    text, repairs = decode_bytes((FIXTURES / "html" / "vecher_cp1251_no_charset.html").read_bytes())
    ex = extract_html(text, url="https://vecher-news.example/world/2024/12/07/homs.html")
    assert ex.title == "Сирийские повстанцы подошли к Хомсу"
    assert ex.byline == "Иван Петров"
    assert ex.published_at == datetime(2024, 12, 7, 9, 0, tzinfo=UTC)
    assert ex.text.startswith("Вооружённые формирования сирийской оппозиции")
    assert "Главная" not in ex.text
    n = normalize(ex, extractor_version="v")
    assert n.language == "ru"
    assert "\ufffd" not in n.text


def test_html_without_date_does_not_invent_one() -> None:
    html = (
        "<html><head><title>Quiet day in the capital</title></head><body><article>"
        "<h1>Quiet day in the capital</h1>"
        "<p>Residents of the capital spent a quiet day indoors on Sunday as the city waited "
        "for news from the front, shops stayed shut and the streets were largely empty.</p>"
        "<p>Officials gave no statement, and state television broadcast old footage of the "
        "president meeting foreign delegations, according to people who watched it.</p>"
        "</article></body></html>"
    )
    ex = extract_html(html, url="https://example.org/news/quiet-day")
    assert ex.published_at is None
    assert ex.published_at_source is None
    # nor after normalisation: the time it was fetched is not when it was published
    n = normalize(ex, extractor_version="v")
    assert (n.published_at, n.published_at_source) == (None, None)


def test_html_fallback_to_paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(extract_mod.trafilatura, "bare_extraction", nothing)
    ex = extract_html(_html("daily_planet_homs.html"), url="https://www.dailyplanet.example/x")
    assert "fallback:lxml-paragraphs" in ex.repairs
    assert ex.text.startswith("Syrian rebels reached the outskirts of Homs on Saturday")
    assert "dataLayer" not in ex.text and "Privacy policy" not in ex.text
    assert "All rights reserved" not in ex.text
    assert ex.title == "Rebels reach the outskirts of Homs as government lines collapse"
    assert ex.published_at == datetime(2024, 12, 7, 8, 30, tzinfo=UTC)
    assert ex.canonical_url is not None


def test_html_empty_raises() -> None:
    with pytest.raises(EmptyDocumentError):
        extract_html("   ")


# --------------------------------------------------------------------------- JSONL


def test_jsonl_record_fields() -> None:
    ex = extract_jsonl_record(
        {
            "url": "https://news.example.com/a?utm_source=x",
            "title": r"Assad\’s allies \"distracted\"",
            "text": "Rebels advanced on Homs on Saturday, a monitoring group said.\n"
            "Government forces withdrew from several towns.\nComments (3)",
            "published_at": "2024-12-07T09:30:00+01:00",
            "source": "News Example",
        }
    )
    assert ex.extractor == "jsonl"
    assert ex.title == 'Assad’s allies "distracted"'
    assert ex.title_derived is False
    assert ex.published_at == datetime(2024, 12, 7, 8, 30, tzinfo=UTC)
    assert ex.published_at_source == "jsonl"
    assert ex.source == "News Example"
    assert ex.url == "https://news.example.com/a?utm_source=x"
    assert ex.text == (
        "Rebels advanced on Homs on Saturday, a monitoring group said.\n\n"
        "Government forces withdrew from several towns."
    )
    assert "boilerplate:Comments (3)" in ex.repairs
    n = normalize(ex, extractor_version="v")
    assert n.canonical_url == "https://news.example.com/a"


def test_jsonl_record_without_title_uses_headline_detection() -> None:
    path = FIXTURES / "text" / "bullet_takeaways.txt"
    ex = extract_jsonl_record({"text": path.read_text("utf-8")})
    assert ex.title == "Rebels Tighten Grip on Central Syria"
    assert len(ex.summary_points) == 3
    assert ex.published_at is None and ex.published_at_source is None


def test_jsonl_record_with_title_keeps_first_line() -> None:
    text = "Short Heading Line\nA paragraph that follows it with enough words to be long enough."
    ex = extract_jsonl_record({"title": "Given title", "text": text})
    assert ex.title == "Given title"
    assert ex.text.startswith("Short Heading Line\n\n")


def test_jsonl_record_derives_title() -> None:
    ex = extract_jsonl_record({"text": "Rebels took the city. Then they moved south."})
    assert ex.title == "Rebels took the city"
    assert ex.title_derived is True


def test_jsonl_record_html_text() -> None:
    ex = extract_jsonl_record(
        {"title": "T", "text": "<p>First &amp; foremost.</p><p>Second<br>line.</p>"}
    )
    assert ex.text == "First & foremost.\n\nSecond\n\nline."
    assert "html-in-text" in ex.repairs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-12-07", datetime(2024, 12, 7, tzinfo=UTC)),
        ("2024-12-07T09:30:00Z", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("2024-12-07T09:30:00", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("2024-12-07T12:30:00+0300", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Sat, 07 Dec 2024 09:30:00 GMT", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Sat, 07 Dec 2024 10:30:00 +0100", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
    ],
)
def test_parse_datetime(value: str, expected: datetime) -> None:
    assert parse_datetime(value) == expected
    ex = extract_jsonl_record({"text": "Some text here.", "published_at": value})
    assert ex.published_at == expected


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"title": "x"}, "no 'text' field"),
        ({"text": 42}, "'text' must be a string"),
        ({"text": ["a"]}, "'text' must be a string"),
    ],
)
def test_jsonl_record_errors(record: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        extract_jsonl_record(record)


_STORY = "The harbour ferry resumed service on Monday after storm repairs, the council said."


@pytest.mark.parametrize(
    ("fields", "expected", "repair"),
    [
        ({"published_at": "yesterday"}, {"published_at": None}, "date-dropped:jsonl:"),
        ({"published_at": "2024-13-45T10:00:00Z"}, {"published_at": None}, "date-dropped:jsonl:"),
        ({"published_at": {"when": "today"}}, {"published_at": None}, "date-dropped:jsonl: a dict"),
        (
            {"published_at": 1733563800},
            {"published_at": datetime(2024, 12, 7, 9, 30, tzinfo=UTC)},
            "date-from-epoch",
        ),
        (
            {"published_at": 1733563800000},
            {"published_at": datetime(2024, 12, 7, 9, 30, tzinfo=UTC)},
            "date-from-epoch",
        ),
        ({"published_at": 10**30}, {"published_at": None}, "date-dropped:jsonl:"),
        ({"title": 2025}, {"title": "2025"}, "field-coerced:title"),
        (
            {"author": ["Jane Doe", "John Roe"]},
            {"byline": "Jane Doe, John Roe"},
            "field-joined:author",
        ),
        (
            {"author": {"name": "Jane"}, "byline": "By Jane Doe"},
            {"byline": "By Jane Doe"},
            "field-dropped:author: a dict",
        ),  # fmt: skip
        ({"source": True}, {"source": None}, "field-dropped:source: a bool"),
        ({"url": ["https://a.example/1", 7]}, {"url": None}, "field-dropped:url: a list"),
    ],
)
def test_a_broken_jsonl_field_is_repaired_or_dropped_not_the_article(
    fields: dict[str, Any], expected: dict[str, Any], repair: str
) -> None:
    """One broken optional field costs that field, recorded as a repair, never the article
    (only a missing or non-string text does: there is no article without it)."""
    ex = extract_jsonl_record({"text": _STORY, **fields})
    assert ex.text.startswith("The harbour ferry resumed service")
    for name, value in expected.items():
        assert getattr(ex, name) == value, name
    assert any(r.startswith(repair) for r in ex.repairs), ex.repairs


def test_jsonl_record_empty_text() -> None:
    with pytest.raises(EmptyDocumentError):
        extract_jsonl_record({"text": "   "})
    with pytest.raises(ValueError, match="must be an object"):
        extract_jsonl_record(["not", "a", "dict"])  # type: ignore[arg-type]


_STORY_PARAS = (
    "<p>Residents of the harbour town spent a quiet day indoors on Sunday as the storm passed, "
    "shops stayed shut and the streets along the sea front were largely empty.</p>"
    "<p>Officials said the ferry would run again on Monday morning once the crews had checked "
    "the piers, according to a statement published by the council.</p>"
)


@pytest.mark.parametrize(
    "logo",
    [
        "<header><h1 class='logo'>The Courier</h1></header>",  # the site's name
        "<header><h1><a href='/'>Courier Online</a></h1></header>",  # a link home
        "<div><h1><a href='https://courier.example/'>Courier</a></h1></div>",
        "<nav><h1>Courier Network</h1></nav>",  # in the page's navigation
    ],
)
def test_a_logo_h1_is_not_the_headline(logo: str) -> None:
    """Many templates put the site's logo in the page's only <h1> and the headline in an <h2>:
    taken as the title, every page of the site had one headline (and the same-title rule took
    them for duplicates of each other)."""
    html = (
        "<html><head><title>Storm closes the harbour | The Courier</title>"
        "<meta property='og:title' content='Storm closes the harbour'>"
        "<meta property='og:site_name' content='The Courier'></head><body>"
        f"{logo}<article><h2>Storm closes the harbour</h2>{_STORY_PARAS}</article></body></html>"
    )
    assert extract_html(html, url="https://courier.example/storm").title == (
        "Storm closes the harbour"
    )


def test_a_headline_h1_in_the_article_header_is_kept() -> None:
    html = (
        "<html><head><title>Courier</title>"
        "<meta property='og:site_name' content='The Courier'></head><body><article>"
        "<header><h1>Ferry runs again after the storm</h1></header>"
        f"{_STORY_PARAS}</article></body></html>"
    )
    assert extract_html(html, url="https://courier.example/ferry").title == (
        "Ferry runs again after the storm"
    )
