"""Unit tests for the extraction rules: trailing boilerplate, plausibility, date resolution."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from newsflow.extract import dates, extract_html, extract_jsonl_record, extract_text
from newsflow.extract.metadata import PageMeta
from newsflow.extract.plausibility import implausible
from newsflow.extract.tail import drop_author_note, trim_tail
from newsflow.records import DocumentContext

ARTICLE = [
    "The city council approved the new transport budget on Tuesday after a long debate "
    "about bus lanes, cycling routes and the future of the night trams in the old town.",
    "Opponents said the plan would push traffic into residential streets, while supporters "
    "argued that the changes were overdue and would cut journey times for most commuters.",
]


def test_recirculation_header_cuts_the_rest() -> None:
    repairs: list[str] = []
    tail = ["Read more", "Another story about trams", "Yet another story about buses"]
    assert trim_tail(ARTICLE + tail, repairs) == ARTICLE
    assert repairs[0] == "tail:recirculation:Read more"


def test_recirculation_header_keeps_following_long_paragraphs() -> None:
    long = ARTICLE[0] + " " + ARTICLE[1]
    repairs: list[str] = []
    # the header line goes, the paragraphs under it (too long for teasers) stay
    assert trim_tail([*ARTICLE, "Weitere Informationen", long], repairs) == [*ARTICLE, long]
    assert repairs == ["tail:header:Weitere Informationen"]


def test_inline_links_footers_and_credits_are_removed() -> None:
    paragraphs = [
        ARTICLE[0],
        "Lea también: Impiden ingreso a reportero estadounidense",
        ARTICLE[1],
        "Related | Budget vote delayed | Trams return | Bus lanes",
        "Follow her on Twitter @reporter.",
        "Have a tip? Send us an email.",
        "Titelbild: Max Mustermann/dpa",
        "© 2024 Example News. All rights reserved.",
    ]
    repairs: list[str] = []
    assert trim_tail(paragraphs, repairs) == ARTICLE
    kinds = {r.split(":")[1] for r in repairs}
    assert {"link", "link-list", "newsletter", "credit", "copyright"} <= kinds


def test_tags_line_without_colon_and_its_keywords() -> None:
    repairs: list[str] = []
    assert trim_tail([*ARTICLE, "Tags", "budget", "transport", "night trams"], repairs) == ARTICLE
    assert repairs[0] == "tail:tags:Tags"


def test_teasers_of_other_posts_are_removed() -> None:
    paragraphs = ARTICLE + [
        "Another post",
        "This is the beginning of another post that the blog shows below the article …",
        "A third post",
        "And this is the beginning of a third post, also cut short by the theme […]",
    ]
    assert trim_tail(paragraphs, []) == ARTICLE


def test_disclosure_before_the_article_is_removed() -> None:
    paragraphs = ["Anzeige, enthält Affiliate Links", *ARTICLE]
    assert trim_tail(paragraphs, []) == ARTICLE


def test_a_plain_article_is_left_alone() -> None:
    repairs: list[str] = []
    assert trim_tail(list(ARTICLE), repairs) == ARTICLE and repairs == []


def test_plausibility_rejects_notices_and_headline_mismatch() -> None:
    page = PageMeta(title="Council approves transport budget after long debate")
    notice = ["This copy is for your personal, non-commercial use only.", "Order reprints."]
    assert implausible(notice, None, page) is not None
    unrelated = ["Weather tomorrow: sunny spells with scattered showers in the afternoon."]
    assert "headline" in (implausible(unrelated, None, page) or "")
    assert implausible(["The council approves the transport budget."], None, page) is None
    assert implausible([], None, page) == "no text extracted"


def test_placeholder_date_is_passed_over() -> None:
    repairs: list[str] = []
    found = dates.resolve(
        [
            ("page-metadata", datetime(1, 1, 1, tzinfo=UTC)),
            ("page-metadata", datetime(1970, 1, 1, tzinfo=UTC)),
            ("url", datetime(2024, 12, 7, tzinfo=UTC)),
        ],
        repairs,
        reference=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert found == (datetime(2024, 12, 7, tzinfo=UTC), "url")
    assert repairs[0].startswith("date-dropped:page-metadata: 0001-01-01 is a placeholder")


def test_future_date_is_implausible() -> None:
    ref = datetime(2024, 1, 1, tzinfo=UTC)
    assert "future" in (dates.implausibility(datetime(2024, 2, 1, tzinfo=UTC), ref) or "")
    assert dates.implausibility(datetime(2023, 12, 31, tzinfo=UTC), ref) is None


def test_url_and_dateline_dates() -> None:
    assert dates.url_date("https://x.example/news/2024/12/07/homs") == datetime(
        2024, 12, 7, tzinfo=UTC
    )
    assert dates.url_date("https://x.example/a/20241207-homs.html") == datetime(
        2024, 12, 7, tzinfo=UTC
    )
    assert dates.url_date("https://x.example/story/12345") is None
    assert dates.dateline_date("LONDON, Dec. 7, 2024 (Reuters) - Rebels") == datetime(
        2024, 12, 7, tzinfo=UTC
    )
    assert dates.dateline_date("Berlin, 7. Dezember 2024 – Die") == datetime(
        2024, 12, 7, tzinfo=UTC
    )


def test_html_jsonld_placeholder_date_falls_back_to_url() -> None:
    html = (
        '<html><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z"}</script>'
        "<title>Council approves budget</title></head><body><article><h1>Council approves "
        "budget</h1>" + "".join(f"<p>{p}</p>" for p in ARTICLE) + "</article></body></html>"
    )
    ex = extract_html(html, url="https://news.example/2024/12/07/council-budget")
    assert ex.published_at == datetime(2024, 12, 7, tzinfo=UTC)
    assert ex.published_at_source == "url"
    assert any(r.startswith("date-dropped:page-metadata: 0001-01-01") for r in ex.repairs)


def test_html_feed_entry_date_when_the_page_has_none() -> None:
    html = (
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    context = DocumentContext(
        origin="page", entry_meta={"published_at": "2024-12-07T10:00:00+00:00"}
    )
    ex = extract_html(html, url="https://news.example/story", context=context)
    assert (ex.published_at, ex.published_at_source) == (
        datetime(2024, 12, 7, 10, tzinfo=UTC),
        "feed",
    )


def test_text_dates_dateline_then_inbox_folder() -> None:
    folder = DocumentContext(origin="file", partition_date=date(2026, 11, 18))
    plain = "\n\n".join(ARTICLE)
    ex = extract_text(plain, context=folder)
    assert (ex.published_at, ex.published_at_source) == (
        datetime(2026, 11, 18, tzinfo=UTC),
        "inbox-folder",
    )
    ex = extract_text("LONDON, Nov. 17, 2026 - " + plain, context=folder)
    assert (ex.published_at, ex.published_at_source) == (
        datetime(2026, 11, 17, tzinfo=UTC),
        "dateline",
    )
    assert extract_text(plain).published_at is None  # never the ingestion time


def test_jsonl_placeholder_date_is_dropped_not_fatal() -> None:
    ex = extract_jsonl_record(
        {"text": "\n".join(ARTICLE), "published_at": "0001-01-01T00:00:00Z"},
        context=DocumentContext(partition_date=date(2026, 11, 19)),
    )
    assert (ex.published_at, ex.published_at_source) == (
        datetime(2026, 11, 19, tzinfo=UTC),
        "inbox-folder",
    )
    assert any(r.startswith("date-dropped:jsonl:") for r in ex.repairs)


def test_lead_marked_as_teaser_is_recovered() -> None:
    lead = "The council has approved the transport budget, ending a dispute that lasted a year."
    html = (
        "<html><head><title>Budget approved</title></head><body>"
        "<nav><p class='teaser-text'>Another story teaser that is not the lead of this page.</p></nav>"
        "<article><h1>Budget approved</h1>"
        f"<div class='teaser-text'><p>{lead}</p></div>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "<aside class='related'><p class='teaser-text'>A related story about trains "
        "that should never become part of this article's text.</p></aside>"
        + "</article></body></html>"
    )
    ex = extract_html(html, url="https://news.example/budget")
    paragraphs = ex.text.split("\n\n")
    assert paragraphs[0] == lead
    assert any(r.startswith("lead-recovered:") for r in ex.repairs)  # trafilatura dropped it
    assert "Another story teaser" not in ex.text and "A related story" not in ex.text


@pytest.mark.parametrize(
    ("cls", "ident", "marked"),
    [
        ("Article-Teaser", None, True),
        (None, "STANDFIRST", True),
        ("story sub_title", "x", True),
        ("  ", None, False),
        ("dekko", None, False),  # \bdek\b
        ("\u212aicker", None, True),  # KELVIN SIGN matches "k" without regard to case
        ("\u017fummary", None, True),  # so does LONG S "s", which lower() leaves as it is
        ("body-text", "main", False),
        (None, None, False),
    ],
)
def test_lead_markers_case_insensitive(cls: str | None, ident: str | None, marked: bool) -> None:
    from lxml import html

    from newsflow.extract import lead

    el = html.fromstring("<p>x</p>")
    for name, value in (("class", cls), ("id", ident)):
        if value is not None:
            el.set(name, value)
    assert lead._marked(el) is marked


@pytest.mark.parametrize(
    "line",
    [
        "Get The Times of Example's Daily Edition by email and never miss our top stories Free Sign Up",
        "Mit unserem Newsletter erhalten Sie monatlich Informationen rund um das Urlaubsland.",
        "To view the full story, please subscribe to The Example Times.",
        "Ten tekst przeczytasz w mniej niż minutę",
        "3 min read",
        "| 31. Dezember 2008",
        "Cristina Kirchner y Alberto Fernández, en el Congreso (Foto: Natacha Pisarenko/Pool).",
    ],
)
def test_interruptions_anywhere_are_removed(line: str) -> None:
    repairs: list[str] = []
    assert trim_tail([ARTICLE[0], line, ARTICLE[1]], repairs) == ARTICLE
    assert len(repairs) == 1


def test_article_sentences_mentioning_donations_or_newsletters_stay() -> None:
    long_line = (
        "On hand to present the supplies was the veterinarian, who said she was glad to donate "
        "them; the clinic's newsletter had asked readers for help for weeks before the storm "
        "and dozens of families answered within days."
    )
    kept = [ARTICLE[0], "The charity was able to donate the supplies.", long_line, ARTICLE[1]]
    assert trim_tail(kept, []) == kept


def test_a_fetched_page_partition_is_not_an_inbox_folder_date() -> None:
    html = (
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    page = DocumentContext(origin="page", partition_date=date(2026, 11, 18))
    assert extract_html(html, url="https://news.example/story", context=page).published_at is None
    folder = DocumentContext(origin="file", partition_date=date(2026, 11, 18))
    assert extract_html(html, context=folder).published_at_source == "inbox-folder"


def _part(label: str, count: int) -> str:
    words = ARTICLE[0].split() + ARTICLE[1].split()
    return "".join(
        f"<p>{label} {' '.join(words[i:] + words[:i])}.</p>" for i in range(0, 4 * count, 4)
    )


def test_article_split_by_ads_and_recirculation_keeps_every_part() -> None:
    """The fast pass stops after the first part; the article's prose sends it to the full
    cascade, which keeps all parts (issue 11, item 4)."""
    html = (
        "<html><head><title>Council approves budget</title></head><body>"
        "<article><h1>Council approves budget</h1>"
        f"<div class='article-body'>{_part('ONE', 5)}"
        "<div class='ad-container'><div class='advertisement'>Advertisement</div></div>"
        "<aside class='related-articles'><h3>Related</h3><ul><li><a href='/x'>Other story</a>"
        "</li></ul></aside></div>"
        f"<div class='article-body article-body--continued'>{_part('TWO', 5)}</div>"
        "<div class='inline-recirc'><a href='/z'>Read more: something else</a></div>"
        f"<div class='article-body'>{_part('THREE', 4)}</div>"
        "</article></body></html>"
    )
    text = extract_html(html, url="https://news.example/budget").text
    assert text.count("ONE ") == 5 and text.count("TWO ") == 5 and text.count("THREE ") == 4
    assert "Other story" not in text and "Advertisement" not in text


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("LONDON, Dec. 7, 2024 - The council met.", date(2024, 12, 7)),
        ("NEW YORK (Reuters) - Dec 7, 2024: markets fell.", date(2024, 12, 7)),
        ("Headline\n\nPublished 7 December 2024\n\nText.", date(2024, 12, 7)),
        ("Headline\nBy Jane Doe | December 7, 2024\nText.", date(2024, 12, 7)),
        ("Headline\nSaturday, December 7, 2024\nText.", date(2024, 12, 7)),
        ("Updated: 2024-12-07 10:00\nText.", date(2024, 12, 7)),
        # a date inside a sentence is what the article is about, not when it was published
        ("Vigil\n\nTwenty-three years after September 11, 2001, families gathered.", None),
        ("A contract signed on 3 March 2015 was void, the court said on Tuesday.", None),
        ("On 3 March 2015 the court ruled against the city.", None),
    ],
)
def test_only_a_dateline_dates_a_text(head: str, expected: date | None) -> None:
    found = dates.dateline_date(head)
    assert (found.date() if found else None) == expected


@pytest.mark.parametrize(
    "last",
    [
        "A Contoso spokesperson declined to comment.",
        "Northwind did not respond to a request for comment.",
        "Contoso said its subscriber base grew by 8 percent last year.",
        "The European Commission is expected to open an in-depth investigation into the merger.",
        "Residents can sign up for the new tariff at any shop.",
        "Copyright lawyers say the case could take years.",
        "\u201cWe are committed to our subscribers,\u201d the chief executive said.",
    ],
)
def test_closing_sentences_that_share_words_with_footers_stay(last: str) -> None:
    """The footer rules read words ("comment", "subscriber", "commission", "sign up"); a news
    sentence that uses them is the article's last line, not a footer."""
    repairs: list[str] = []
    assert trim_tail([*ARTICLE, last], repairs) == [*ARTICLE, last] and repairs == []
    assert extract_text(
        "Transport budget approved\n\n" + "\n\n".join([*ARTICLE, last])
    ).text.endswith(last)


@pytest.mark.parametrize(
    "footer",
    [
        "Click here to see what residents said about the plan",
        "Sign up for our newsletter to get what experts say about the markets in your inbox",
        "Follow us on Twitter for news as it is reported",
        "Read more: Mayor says harbour project will go ahead",
    ],
)
def test_a_footer_that_mentions_what_someone_said_still_goes(footer: str) -> None:
    assert trim_tail([*ARTICLE, footer], []) == ARTICLE
    text = extract_text("Transport budget approved\n\n" + "\n\n".join([*ARTICLE, footer])).text
    assert footer not in text


def test_footer_calls_to_the_reader_still_go() -> None:
    footers = [
        "We may earn a commission when you buy through links on our site.",
        "For the latest stories download the Example News apps for iOS and Android.",
        "Subscribe to our newsletter.",
        "A Contoso spokesperson declined to comment.",  # not a footer: the loop stops here
    ]
    repairs: list[str] = []
    assert trim_tail([*ARTICLE, footers[3], *footers[:3]], repairs) == [*ARTICLE, footers[3]]
    assert len(repairs) == 3


@pytest.mark.parametrize(
    ("last", "byline", "dropped"),
    [
        ("Jane Doe is a reporter at the Daily Example covering energy.", "Jane Doe", True),
        ("Daniel Roe arbeitete viele Jahre als Redakteur bei einer Zeitung.", "Daniel Roe", True),
        ("The author is a professor of economics at the University of Example.", None, True),
        (
            "Reuters could not independently verify the figures given by the company.",
            "Reuters",
            False,
        ),
        (
            "The author of the consumer group's report, Maria Lopez, said prices would rise.",
            None,
            False,
        ),
        ("El autor de los disparos huyó a pie y todavía no ha sido detenido.", None, False),
    ],
)
def test_author_note_is_what_the_author_is_not_a_sentence_naming_them(
    last: str, byline: str | None, dropped: bool
) -> None:
    repairs: list[str] = []
    kept = drop_author_note([*ARTICLE, last], byline, repairs)
    assert kept == (ARTICLE if dropped else [*ARTICLE, last])
    assert bool(repairs) is dropped


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("Sat, 07 Dec 2024 23:45 EST", datetime(2024, 12, 8, 4, 45, tzinfo=UTC)),
        ("Sat, 07 Dec 2024 09:30:00 UTC", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Sat, 07 Dec 2024 09:30:00 +0000 (UTC)", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Sun, 8 Dec 2024 00:30 +0100 CET", datetime(2024, 12, 7, 23, 30, tzinfo=UTC)),
        ("Saturday, 07 December 2024 09:30:00 GMT", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Sat 07 Dec 2024 09:30:00 +0000", datetime(2024, 12, 7, 9, 30, tzinfo=UTC)),
        ("Dec 7, 2024 11:45 PM EST", datetime(2024, 12, 8, 4, 45, tzinfo=UTC)),
        ("May 3, 2024 at 9:15 a.m. EDT", datetime(2024, 5, 3, 13, 15, tzinfo=UTC)),
        ("December 7, 2024, 12:05 am", datetime(2024, 12, 7, 0, 5, tzinfo=UTC)),
        (
            "Sat Dec 07 2024 23:45:00 GMT-0500 (Eastern Standard Time)",
            datetime(2024, 12, 8, 4, 45, tzinfo=UTC),
        ),
        ("Fri Feb 18 10:27:24 2022", datetime(2022, 2, 18, 10, 27, 24, tzinfo=UTC)),
        ("Mon Oct 11 14:57:21 EDT 2021", datetime(2021, 10, 11, 18, 57, 21, tzinfo=UTC)),
        ("Sun, 8 Dec 2024 00:30 CET", None),  # a zone RFC 2822 does not know: no guess
        ("Tue Jan 28 15:28:56 CET 2020", None),
        ("Dec 7, 2024 13:05 PM", None),
    ],
)
def test_stated_dates_are_read_with_their_clock_and_zone_or_not_at_all(
    stated: str, expected: datetime | None
) -> None:
    """email.utils read these leniently: PM, offsets and unknown zones were dropped, giving
    times hours off and often on another day."""
    if expected is None:
        with pytest.raises(ValueError, match="not an ISO 8601 or RFC 2822 date"):
            dates.parse_datetime(stated)
    else:
        assert dates.parse_datetime(stated) == expected


@pytest.mark.parametrize(
    "name", ["Łukasz Nowak", "Maria de la Cruz", "Ruud van der Berg", "Şule Yılmaz"]
)
def test_a_byline_of_any_script_and_with_particles_is_the_byline(name: str) -> None:
    """Names starting with a capital outside Latin-1 (Ł, Ş) or holding "de la", "van der"
    were not bylines: the headline went undetected and headline and byline stayed in the text."""
    body = (
        "Shares of Northwind rose on Monday after the company said it was in talks to buy its "
        "rival Contoso for about 4 billion euros, people familiar with the matter said. "
    ) * 3
    ex = extract_text(
        f"Northwind in talks to buy rival Contoso\n\nBy {name}\n\n{body}\n\nThe end.\n"
    )
    assert (ex.title, ex.byline) == ("Northwind in talks to buy rival Contoso", name)
    assert ex.text.startswith("Shares of Northwind")
