"""What a page states about itself (date, byline, canonical URL, language) when its templates
state it badly: the cases a review found real sites publish."""

from __future__ import annotations

from datetime import UTC, datetime

from newsflow.extract import extract_html
from newsflow.records import DocumentContext

_BODY = (
    "<p>Residents of the harbour town spent a quiet day indoors on Sunday as the storm passed, "
    "shops stayed shut and the streets along the sea front were largely empty.</p>"
    "<p>Officials said the ferry would run again on Monday morning once the crews had checked "
    "the piers, according to a statement published by the council.</p>"
    "<p>The council added that the harbour wall had held and that no homes were flooded, "
    "though several boats had broken free of their moorings overnight.</p>"
)


def _page(head: str, body: str = "") -> str:
    return (
        f"<html lang='en'><head>{head}</head><body><article>{body}{_BODY}</article></body></html>"
    )


def test_a_canonical_link_to_the_home_page_is_not_the_article_url() -> None:
    """A template's default canonical (the home page) made every article of the site claim one
    URL, and each new one replaced the previous as its update."""
    html = _page(
        "<title>Storm closes the harbour</title><link rel='canonical' href='https://courier.example/'>"
    )
    got = extract_html(html, url="https://courier.example/news/storm")
    assert got.canonical_url is None
    assert any(r.startswith("canonical_url-dropped:") for r in got.repairs)
    # a page's own canonical, and a home page with the article's id in the query, are kept
    for canonical in ("https://courier.example/news/storm-closes", "https://courier.example/?p=42"):
        html = _page(f"<title>Storm</title><link rel='canonical' href='{canonical}'>")
        assert (
            extract_html(html, url="https://courier.example/news/storm").canonical_url == canonical
        )


def test_the_articles_json_ld_object_gives_date_and_byline_not_a_video_beside_it() -> None:
    """JSON-LD arrays and @graph were read last object first, and any type's datePublished
    and author taken: an embedded 2019 video dated and signed a 2024 article."""
    ld = (
        '[{"@context":"https://schema.org","@type":"NewsArticle","headline":"Council approves '
        'bus expansion","datePublished":"2024-12-09T10:00:00Z","author":{"@id":"#jane"},'
        '"publisher":{"@type":"Organization","name":"Metro Times"}},'
        '{"@type":"VideoObject","name":"Archive","datePublished":"2019-03-01T08:00:00Z",'
        '"author":{"@type":"Organization","name":"Metro Times Video"}},'
        '{"@type":"Person","@id":"#jane","name":"Jane Doe"}]'
    )
    html = _page(
        "<title>Metro Times | Council approves bus expansion</title>"
        f"<script type='application/ld+json'>{ld}</script>"
    )
    got = extract_html(html, url="https://metrotimes.example/news/bus")
    assert got.published_at == datetime(2024, 12, 9, 10, 0, tzinfo=UTC)
    assert got.byline == "Jane Doe"  # the Person node the article names by @id
    assert got.source == "Metro Times"  # the article's publisher, without og:site_name
    assert got.title == "Council approves bus expansion"  # the headline, not <title>


def test_a_site_name_before_the_title_and_entities_escaped_twice() -> None:
    html = _page(
        "<title>Metro Times | Mayor&amp;#039;s plan passes</title>"
        "<meta property='og:site_name' content='Metro Times'>"
        "<meta name='author' content='Se&amp;aacute;n O&amp;#039;Brien'>"
    )
    got = extract_html(html, url="https://metrotimes.example/news/plan")
    assert got.title == "Mayor's plan passes"
    assert got.byline == "Seán O'Brien"


def test_a_local_time_without_offset_ahead_of_the_fetch_yields_to_the_feed_date() -> None:
    """A Sydney page's "20:00" without an offset reads as 20:00 UTC, 10.5 hours after the
    fetch: extraction took it (its limit was 2 days), validation then dropped it (2 hours)
    without looking at the feed's 09:00Z: the article lost its date."""
    from dataclasses import replace as _replace

    from newsflow.normalize import normalize
    from newsflow.settings import get_settings
    from newsflow.validate import repair_fields

    fetched = datetime(2024, 12, 10, 9, 30, tzinfo=UTC)
    html = _page(
        "<title>Council approves bus expansion</title>"
        "<meta property='article:published_time' content='2024-12-10T20:00:00'>"
    )
    url = "https://sydneyherald.example/news/council-bus"
    feed = {"published_at": "2024-12-10T09:00:00+00:00"}
    context = DocumentContext(url=url, origin="page", fetched_at=fetched, entry_meta=feed)
    got = extract_html(html, url=url, context=context)
    assert got.published_at == datetime(2024, 12, 10, 9, 0, tzinfo=UTC)
    assert got.published_at_source == "feed"
    assert any(r.startswith("date-passed-over:page-metadata:") for r in got.repairs)

    # with no other date, the page's own is kept, and validation does not drop it
    alone = extract_html(html, url=url, context=_replace(context, entry_meta=None))
    assert alone.published_at == datetime(2024, 12, 10, 20, 0, tzinfo=UTC)
    row = normalize(alone, extractor_version="test")
    assert repair_fields(row, get_settings(), fetched) == []
    assert row.published_at == datetime(2024, 12, 10, 20, 0, tzinfo=UTC)


_SPANISH = (
    "<p>Los vecinos del puerto pasaron un domingo tranquilo en casa mientras pasaba la tormenta; "
    "las tiendas permanecieron cerradas y el paseo marítimo estuvo casi vacío.</p>"
    "<p>Las autoridades dijeron que el transbordador volvería a funcionar el lunes por la mañana, "
    "una vez que los equipos hubieran revisado los muelles, según un comunicado del ayuntamiento."
    "</p><p>El ayuntamiento añadió que el muro del puerto había resistido y que ninguna vivienda "
    "se había inundado, aunque varios barcos se soltaron de sus amarras durante la noche.</p>"
)


def test_a_site_wide_lang_attribute_does_not_make_a_spanish_article_english() -> None:
    from newsflow.normalize import normalize

    html = f"<html lang='en'><head><title>Tormenta</title></head><body><article>{_SPANISH}"
    html += "</article></body></html>"
    row = normalize(extract_html(html, url="https://c.example/es/t"), extractor_version="t")
    assert row.language == "es"
    assert "language-corrected: stated en, the text is es" in row.repairs
    # a stated language the text agrees with, or a close one, stands
    english = extract_html(_page("<title>Storm</title>"), url="https://c.example/a")
    english = normalize(english, extractor_version="t")
    assert english.language == "en" and not any("language" in r for r in english.repairs)


def test_the_articles_one_unmarked_time_element_dates_it_before_htmldate() -> None:
    """No published meta, a modified meta, and the byline's unmarked <time>: htmldate gave the
    modified day at midnight."""
    html = _page(
        "<title>Council approves bus expansion</title>"
        "<meta property='article:modified_time' content='2024-12-09T18:00:00+00:00'>",
        "<h1>Council approves bus expansion</h1><div class='byline'>By Jane Doe · "
        "<time datetime='2024-12-01T08:00:00-05:00'>December 1, 2024</time></div>",
    )
    got = extract_html(html, url="https://metrotimes.example/news/bus")
    assert got.published_at == datetime(2024, 12, 1, 13, 0, tzinfo=UTC)
    assert got.published_at_source == "page-metadata"
    # several in the article (a list of teasers): none of them is the article's date
    teasers = "".join(f"<li><time datetime='2024-11-{d:02d}'>{d} Nov</time></li>" for d in (3, 4))
    html = _page("<title>Council approves bus expansion</title>", f"<ul>{teasers}</ul>")
    got = extract_html(html, url="https://metrotimes.example/news/bus")
    assert got.published_at_source != "page-metadata"  # (htmldate's guess, if any)


def test_a_critics_review_is_dated_and_signed_and_a_headline_opening_with_the_site_kept() -> None:
    ld = (
        '{"@context":"https://schema.org","@type":"Review","name":"A quiet triumph",'
        '"datePublished":"2024-02-27T09:00:00Z","author":{"@type":"Person","name":"Jane Critic"}}'
    )
    html = _page(
        "<meta property='og:site_name' content='FC Bayern München'>"
        "<meta property='og:title' content='FC Bayern München - Borussia Dortmund 4:0'>"
        f"<script type='application/ld+json'>{ld}</script>"
    )
    got = extract_html(html, url="https://fcbayern.example/match/report")
    assert got.byline == "Jane Critic"
    assert got.published_at == datetime(2024, 2, 27, 9, 0, tzinfo=UTC)
    assert got.title == "FC Bayern München - Borussia Dortmund 4:0"
