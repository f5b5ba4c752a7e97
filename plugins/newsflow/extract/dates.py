"""Publication dates: parsing what documents state, and choosing among several sources.

Why a resolver: a page or file often states several dates (meta tags, JSON-LD, ``<time>``, the
URL, a dateline), some of them placeholders (``0001-01-01``, the Unix epoch) or impossible
(years ahead). A placeholder is *not a date*: it must not win over a real date further down the
list, and it must never make the article look broken. :func:`resolve` takes candidates in the
documented order of trust and returns the first plausible one with the name of its source
(``published_at_source``); the publication date is never the ingestion time.

Order of trust (first plausible wins):

- HTML pages: ``page-metadata`` (meta tags, JSON-LD ``datePublished``, ``<time>``), ``feed``
  (the feed entry that linked the page), ``url`` (a ``/2024/12/07/`` path), ``htmldate``
  (trafilatura's date finder on the same tree), ``inbox-folder`` (the ``YYYY-MM-DD/`` folder).
- JSONL records: ``jsonl`` (the record's field), ``dateline`` (a date stated at the start of the
  text), ``inbox-folder``.
- Plain text: ``dateline``, ``inbox-folder``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

from newsflow.text import MONTH_NAMES_RE as _MONTH_RE
from newsflow.text import MONTHS as _MONTHS
from newsflow.text import make_encodable

# Before this no news article on the web was published; such dates are placeholders.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# A date this far ahead of the reference time (fetch time, or now) is wrong, not early news:
# no time zone is further ahead of UTC, so a local time stated without its offset (read as
# UTC) or a day stated without a time, east of UTC, stays within it. Validation uses the same
# limit (against now, never earlier than the fetch), so it never drops a date chosen here.
FUTURE_TOLERANCE = timedelta(hours=14)
# A candidate further ahead than clock skew is taken only when no other candidate is within
# it: a page's "20:00" without an offset from a site at UTC+11, read as UTC, lost to nothing,
# while its feed said 09:00Z.
CLOCK_SKEW = timedelta(hours=2)

# "December 7, 2024", "Dec. 7 2024", "7 December 2024", "7. Dezember 2024", "2024-12-07"
_TEXT_DATE_RES = (
    re.compile(
        rf"\b(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b",
        re.I,
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>(?:19|20)\d\d)\b",
        re.I,
    ),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
)
_URL_DATE_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)[/_-]?(?P<mnum>[01]\d)[/_-]?(?P<day>[0-3]\d)(?!\d)"
)
# How far into a text a dateline may stand (first paragraph, a "Published ..." line).
_DATELINE_WINDOW = 300


def _shown(value: str) -> str:
    """A stated value for an error message: encodable (it may end in quarantine), cut."""
    text = make_encodable(value)[0]
    return text if len(text) <= 60 else text[:59] + "…"


# RFC 2822 (email, RSS) in the forms servers write it: what email.utils is given, as it reads
# much else leniently and wrongly ("Dec 7, 2024 11:45 PM EST" at 11:45 UTC: no PM, no zone;
# "CET" as UTC). The forms below are converted to it first.
_RFC2822_RE = re.compile(
    r"(?:[a-z]{3,9}\.?,?\s+)?(?P<day>\d{1,2})\s+(?P<mon>[a-z]{3})[a-z]*\.?,?\s+(?P<year>\d{2,4})"
    r"(?:,?\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    # an offset (maybe followed by a zone name or a comment), or a zone RFC 2822 names
    r"(?:\s*(?P<offset>[+-]\d{4})(?:\s*\([^)]*\)|\s+[a-z]{1,5})?"
    r"|\s*(?P<zone>ut|utc|gmt|z|[ecmp][sd]t)(?:\s*\([^)]*\))?)?)?",
    re.IGNORECASE,
)
# JavaScript's Date.toString(): "Sat Dec 07 2024 23:45:00 GMT-0500 (Eastern Standard Time)"
_JS_DATE_RE = re.compile(
    r"[a-z]{3}\s+(?P<mon>[a-z]{3})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})\s+"
    r"(?P<time>\d{1,2}:\d{2}:\d{2})\s+(?:gmt|utc)(?P<offset>[+-]\d{4})(?:\s*\(.*\))?",
    re.IGNORECASE,
)


# C's asctime and Unix date(1): "Fri Feb 18 10:27:24 2022", "Tue Jan 28 15:28:56 GMT 2020"
_ASCTIME_RE = re.compile(
    r"[a-z]{3}\s+(?P<mon>[a-z]{3})\s+(?P<day>\d{1,2})\s+(?P<time>\d{1,2}:\d{2}:\d{2})"
    r"(?:\s+(?P<zone>ut|utc|gmt|z|[ecmp][sd]t))?\s+(?P<year>\d{4})",
    re.IGNORECASE,
)
# "Dec 7, 2024 11:45 PM EST", "December 7, 2024, 11:45 pm": read as what it says, an RFC 2822
# zone or offset or none (UTC, as for ISO 8601 without an offset); any other zone: not a date.
_MONTH_FIRST_RE = re.compile(
    r"(?P<mon>[a-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+(?:at\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<half>[ap])?\.?(?:m\.?)?"
    r"\s*(?P<zone>[+-]\d{4}|ut|gmt|z|[ecmp][sd]t)?",
    re.IGNORECASE,
)


def _month_first(match: re.Match[str]) -> str:
    """A :data:`_MONTH_FIRST_RE` date as RFC 2822 (its 12-hour clock made 24-hour)."""
    hour = int(match["hour"])
    if match["half"]:
        if not 1 <= hour <= 12:
            return ""  # "13:00 PM": not a time
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    second = match["second"] or "00"
    zone = f" {match['zone']}" if match["zone"] else ""
    return (
        f"{match['day']} {match['mon']} {match['year']} {hour:02}:{match['minute']}:{second}{zone}"
    )


def _rfc2822(value: str) -> str:
    """An :data:`_RFC2822_RE` date in the form email.utils reads: day, month abbreviation,
    year, time, zone (day names, zone comments and names after an offset left out)."""
    m = _RFC2822_RE.fullmatch(value)
    assert m is not None
    parts = [m["day"], m["mon"], m["year"], m["time"] or "", m["offset"] or m["zone"] or ""]
    return " ".join(p for p in parts if p)


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 or RFC 2822 date; naive values are taken as UTC.

    Accepts ``2024-12-07``, ``2024-12-07T09:30:00Z``, ``2024-12-07T09:30:00+01:00``,
    ``Sat, 07 Dec 2024 09:30:00 GMT`` and the like, JavaScript's ``Date.toString()``, C's
    asctime and ``Dec 7, 2024 11:45 PM EST``. The result is always UTC.
    Raises ValueError if the value is neither.
    """
    raw = value.strip()
    if not raw:
        raise ValueError("empty date")
    iso = raw
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)  # +0100 -> +01:00
    parsed: datetime | None = None
    rfc = raw  # the value as RFC 2822, when it is one of the forms converted to it
    if js := _JS_DATE_RE.fullmatch(raw):
        rfc = f"{js['day']} {js['mon']} {js['year']} {js['time']} {js['offset']}"
    elif asc := _ASCTIME_RE.fullmatch(raw):
        zone = asc["zone"] or ""
        rfc = f"{asc['day']} {asc['mon']} {asc['year']} {asc['time']} {zone}".strip()
        rfc = rfc.replace(" UTC", " UT").replace(" utc", " UT")
    elif month_first := _MONTH_FIRST_RE.fullmatch(raw):
        rfc = _month_first(month_first)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(_rfc2822(rfc)) if _RFC2822_RE.fullmatch(rfc) else None
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
    if parsed is None:
        raise ValueError(f"not an ISO 8601 or RFC 2822 date: “{_shown(raw)}”")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError(f"date out of range: “{_shown(raw)}”") from exc


def implausibility(
    value: datetime, reference: datetime | None = None, tolerance: timedelta = FUTURE_TOLERANCE
) -> str | None:
    """Why ``value`` cannot be a publication date (a sentence), or None when it can be.

    ``reference`` is when the document was obtained (fetch time), default now."""
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    if when < EARLIEST_PLAUSIBLE:
        return f"{when.date().isoformat()} is a placeholder or impossible date (before 1990)"
    limit = (reference or datetime.now(UTC)) + tolerance
    if when > limit:
        return f"{when.date().isoformat()} lies in the future"
    return None


def resolve(
    candidates: Iterable[tuple[str, datetime | None]],
    repairs: list[str],
    reference: datetime | None = None,
) -> tuple[datetime | None, str | None]:
    """The first plausible candidate ``(source, date)``, in the order given.

    Each implausible candidate passed over adds ``date-dropped:<source>: <why>`` to
    ``repairs``, so a stored article says which stated date was not believed and why. A
    candidate ahead of the reference by more than :data:`CLOCK_SKEW` yields to a later one
    that is not (``date-passed-over:<source>: ...``)."""
    ahead: list[tuple[str, datetime]] = []
    skew_limit = (reference or datetime.now(UTC)) + CLOCK_SKEW
    for source, value in candidates:
        if value is None:
            continue
        why = implausibility(value, reference)
        if why is None and (value if value.tzinfo else value.replace(tzinfo=UTC)) > skew_limit:
            ahead.append((source, value))
        elif why is None:
            for passed, when in ahead:
                repairs.append(
                    f"date-passed-over:{passed}: {when.isoformat()} is ahead of the fetch time, "
                    f"{source} is not"
                )
            return value, source
        else:
            entry = f"date-dropped:{source}: {why}"
            if entry not in repairs:
                repairs.append(entry)
    return (ahead[0][1], ahead[0][0]) if ahead else (None, None)


def _build(year: str, month: int, day: str) -> datetime | None:
    try:
        return datetime(int(year), month, int(day), tzinfo=UTC)
    except ValueError:
        return None


def url_date(url: str | None) -> datetime | None:
    """A ``/2024/12/07/`` (or ``20241207``, ``2024-12-07``) date in a URL's path."""
    if not url:
        return None
    path = url.split("://", 1)[-1].partition("/")[2].split("?", 1)[0]
    match = _URL_DATE_RE.search(path)
    if not match:
        return None
    return _build(match["year"], int(match["mnum"]), match["day"])


# What may stand before a dateline's date on its line: nothing, a place and a comma ("LONDON,",
# "New York (Reuters),"), a label ("Published", "Updated:", "Stand:"), a byline and a bar
# ("By Jane Doe |"). A date inside a sentence ("Twenty-three years after September 11, 2001")
# is what the article is about, not when it was published.
_DATELINE_PREFIX_RE = re.compile(
    r"(?:"
    r"[A-Z][\w.'’ -]{0,40}(?:\([^)]{1,30}\))?\s*[,:–—-]\s*"
    r"|(?:published|updated|posted|date|dated|first published|last updated|veröffentlicht|"
    r"aktualisiert|stand|datum|publié le|mis à jour le|publicado|actualizado)\b[^\n]{0,12}?"
    r"|[^\n]{0,60}[|·•]\s*"
    r")?(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?",
    re.I,
)


def dateline_date(text: str) -> datetime | None:
    """A full date (day, month, year) in a dateline at the start of a text: alone on its
    line, or after a place ("LONDON, Dec. 7, 2024 -"), a label ("Published 7 December 2024")
    or a byline and a bar; never a date inside a sentence."""
    head = text[:_DATELINE_WINDOW]
    for pattern in _TEXT_DATE_RES:
        for match in pattern.finditer(head):
            line_start = head.rfind("\n", 0, match.start()) + 1
            if _DATELINE_PREFIX_RE.fullmatch(head[line_start : match.start()]):
                break
        else:
            continue
        groups = match.groupdict()
        month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"].lower()]
        found = _build(groups["year"], month, groups["day"])
        if found is not None:
            return found
    return None


def day_start(value: date | datetime | str | None) -> datetime | None:
    """Midnight UTC of a partition date (``date``, ``datetime`` or ``YYYY-MM-DD``)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    try:
        return datetime.combine(date.fromisoformat(str(value)[:10]), time(0), tzinfo=UTC)
    except ValueError:
        return None
