"""Normalisation: Extracted -> Normalized, and the URL, language and hashing helpers it uses.

Everything here is a pure function (no database, no network), so it can be unit-tested
and re-run over stored raw documents when the extractor changes.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from newsflow.records import Extracted, Normalized
from newsflow.text import (
    QUOTE_PAIRS,
    clean_body,
    clean_inline,
    collapse_whitespace,
    count_words,
    derive_title,
    make_encodable,
    repair_backslash_quotes,
    replace_chars,
    split_sentences,
)

__all__ = [
    "MAX_URL_CHARS",
    "canonicalize_url",
    "clean_inline",
    "collapse_whitespace",
    "content_hash",
    "derive_title",
    "detect_language",
    "language_code",
    "normalize",
    "repair_backslash_quotes",
    "split_sentences",
    "to_utc",
]


# Longer addresses are not kept: no browser or server takes them, and Postgres cannot index
# a value over ~2.7 kB (feed_entries, pages and articles have their URL as a key).
MAX_URL_CHARS = 2048


def canonicalize_url(url: str | None) -> str | None:
    """Canonical form of an http(s) URL, or None if it is not one.

    Lower-cases scheme and host, drops default ports, user info, fragments and tracking
    parameters (``utm_*``, ``fbclid``, ``gclid`` ...; courlan's list), sorts the query by
    parameter name and collapses repeated slashes; every other character of the path and
    query is kept as written (see :func:`_query`).
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        return None
    if any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if not (host == "localhost" or "." in host or ":" in host):
        return None
    if ":" not in host:
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        if not re.fullmatch(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*", ascii_host):
            return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{netloc}:{port}"
    path = _PATH_SAFE_RE.sub(_quote_match, _SLASHES_RE.sub("/", parts.path or "/"))
    canonical = urlunsplit(
        (scheme, netloc, _LEADING_UP_RE.sub("", path) or "/", _query(parts.query), "")
    )
    return canonical if len(canonical) <= MAX_URL_CHARS else None


# What the path and query keep as written: RFC 3986's unreserved and reserved characters and
# percent escapes (so ";" stays a separator, "(" stays itself); anything else is escaped.
_PATH_SAFE_RE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
_SLASHES_RE = re.compile(r"/{2,}")
_LEADING_UP_RE = re.compile(r"^(?:/\.\.(?![^/]))+")


def _quote_match(match: re.Match[str]) -> str:
    return quote(match.group(0), safe="")


# Tracking parameters, by their whole name: courlan's list, less the names that also identify
# content (``cid``, ``eid``, ``uid``), with session ids, Google's ``gaa_*`` and ``ref_*``
# (``ref_src`` on every embedded tweet's link), matched whole: courlan's pattern matched any
# name starting with "ga", "ref", "source"..., so ``gameId=401585123`` was dropped and two
# game recaps had one URL (the second recorded as a duplicate of the first).
_TRACKER_NAME_RE = re.compile(
    r"(dc|fbc|gc|twc|yc|ysc)lid|(click|gbra|msclk|igsh|partner|wbra)id"
    r"|(ads?|mc|ga|gaa|gs|itm|mkt|ml|mtm|oly|pk|ref|utm|vero)_\w*|\w+_cid"
    r"|(j|php)?session(id)?|phpsessid"
    r"|_?(\w+_)?(aff|affi|affiliate|campaign|clid|ga|gl|kwd|keyword|medium|ref|referr?er|source"
    r"|xtor)"
)


def _query(query: str) -> str:
    """The query with tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``ref``: see
    :data:`_TRACKER_NAME_RE`) dropped and the rest sorted by name, each parameter otherwise
    kept as written: a parameter without a value (``story.php?12345``) names the page as much
    as ``id=12345``, and ``;`` or ``%20`` stay what the site wrote."""
    kept = []
    for part in query.split("&"):
        if not part:
            continue
        name = unquote_plus(part.split("=", 1)[0]).lower()
        if not _TRACKER_NAME_RE.fullmatch(name):
            kept.append((name, _PATH_SAFE_RE.sub(_quote_match, part)))
    kept.sort(key=lambda kv: kv[0])  # stable: the values of a repeated name keep their order
    return "&".join(part for _, part in kept)


_LANGID_LOCK = threading.Lock()
_LANGID: Any = None
_MIN_LANGUAGE_LETTERS = 20
_MIN_LANGUAGE_CONFIDENCE = 0.5
# characters the language is told from: a few paragraphs decide it as well as the whole text
_LANGUAGE_SAMPLE = 5_000


def language_identifier() -> Any:
    """The language model, loaded once per process (a worker preloads it)."""
    global _LANGID
    with _LANGID_LOCK:
        if _LANGID is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _LANGID = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _LANGID


def detect_language(
    text: str, sample_chars: int = _LANGUAGE_SAMPLE, confidence_at_least: float = 0.0
) -> str | None:
    """ISO 639-1 code of the text's language, or None if too short or too unsure."""
    if not text:
        return None
    sample = text[:sample_chars]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < _MIN_LANGUAGE_LETTERS or len(sample.split()) < 3:
        return None
    lang, confidence = language_identifier().classify(sample)
    if confidence < max(_MIN_LANGUAGE_CONFIDENCE, confidence_at_least):
        return None
    lang = str(lang).lower()
    return lang if re.fullmatch(r"[a-z]{2}", lang) else None


# Telling a stated language wrong takes a sure reading of the text, and a few paragraphs.
_CORRECTION_CONFIDENCE = 0.95
_CORRECTION_SAMPLE = 1_000
_CORRECTION_MIN_LETTERS = 400
# Languages a model confuses with each other (and pages state either): never "corrected".
_CLOSE_LANGUAGES = ({"no", "nb", "nn", "da", "sv"}, {"bs", "hr", "sr", "sh"}, {"ms", "id"},
                    {"cs", "sk"}, {"gl", "pt"}, {"ca", "es"}, {"uk", "ru", "be"})  # fmt: skip


def _language(declared: str | None, text: str, repairs: list[str]) -> str | None:
    """The language the document states, unless its text is surely another (a site-wide
    ``<html lang="en">`` around a Spanish article made it English, and quarantined where only
    Spanish was accepted); the language told from the text when none is stated."""
    if declared is None:
        return detect_language(text)
    sample = text[:_CORRECTION_SAMPLE]
    if sum(ch.isalpha() for ch in sample) < _CORRECTION_MIN_LETTERS:
        return declared
    told = detect_language(sample, _CORRECTION_SAMPLE, _CORRECTION_CONFIDENCE)
    if told is None or told == declared or any({told, declared} <= g for g in _CLOSE_LANGUAGES):
        return declared
    _add_repair(repairs, f"language-corrected: stated {declared}, the text is {told}")
    return told


def language_code(value: str | None) -> str | None:
    """'en-US' / 'EN' / 'en_GB' -> 'en'; anything else -> None."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def content_hash(text: str) -> str:
    """sha256 hex over the text after NFC, quotes and dashes made ASCII (one wire story typeset
    with curly quotes by one paper, straight by another), casefolding and whitespace
    collapsing."""
    canonical = collapse_whitespace(
        replace_chars(unicodedata.normalize("NFC", text), QUOTE_PAIRS).casefold()
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def to_utc(value: datetime | None) -> datetime | None:
    """Timezone-aware UTC datetime; a naive value is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _add_repair(repairs: list[str], repair: str) -> None:
    if repair not in repairs:
        repairs.append(repair)


_TEXT_FIELDS = (
    "text",
    "title",
    "byline",
    "published_at_source",
    "language",
    "url",
    "canonical_url",
    "source",
)


def _encodable(ex: Extracted, repairs: list[str]) -> Extracted:
    """A copy of ``ex`` whose every string can be encoded (see :func:`make_encodable`);
    each field that needed it is named in ``repairs`` (``unencodable-characters:<field>``)."""
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(ex, name)
        if isinstance(value, str):
            fixed, changed = make_encodable(value)
            if changed:
                changes[name] = fixed
                _add_repair(repairs, f"unencodable-characters:{name}")
    for name in ("summary_points", "cited_sources"):
        items = [make_encodable(v) for v in getattr(ex, name)]
        if any(changed for _, changed in items):
            changes[name] = [v for v, _ in items]
            _add_repair(repairs, f"unencodable-characters:{name}")
    return replace(ex, **changes) if changes else ex


def normalize(
    ex: Extracted,
    *,
    extractor_version: str,
) -> Normalized:
    """Turn an :class:`Extracted` into a :class:`Normalized` record.

    NFC, whitespace cleanup (every line a paragraph, paragraphs joined by a blank line),
    backslash-quote repair, canonical URL, language, word count, content hash, a title
    (derived from the text if missing) and a UTC ``published_at`` as extraction found it: a
    document without a date has none (the time it was fetched or filed is not when it was
    published, and is kept elsewhere: ``first_seen_at``, ``raw_documents.fetched_at``).
    """
    repairs: list[str] = []
    for repair in ex.repairs:
        _add_repair(repairs, make_encodable(repair)[0])
    ex = _encodable(ex, repairs)
    escapes_fixed = False

    def fix(value: str) -> str:
        nonlocal escapes_fixed
        repaired, changed = repair_backslash_quotes(value)
        escapes_fixed = escapes_fixed or changed
        return repaired

    text = clean_body(fix(ex.text or ""))

    title = clean_inline(fix(ex.title)) if ex.title else None
    title_derived = ex.title_derived
    if not title:
        title = derive_title(text)
        title_derived = True

    summary_points = [p for p in (clean_inline(fix(s)) for s in ex.summary_points) if p]
    cited_sources = [c for c in (clean_inline(fix(s)) for s in ex.cited_sources) if c]
    if escapes_fixed:
        _add_repair(repairs, "backslash-quotes")

    byline = clean_inline(ex.byline)
    if byline:
        byline = re.sub(r"^by\s+", "", byline, flags=re.IGNORECASE) or None

    published_at = to_utc(ex.published_at)
    published_at_source = ex.published_at_source if published_at else None

    language = _language(language_code(ex.language), text, repairs)
    canonical = canonicalize_url(ex.canonical_url) or canonicalize_url(ex.url)

    return Normalized(
        text=text,
        title=title,
        title_derived=title_derived,
        byline=byline,
        published_at=published_at,
        published_at_source=published_at_source,
        language=language,
        url=ex.url.strip() if ex.url and ex.url.strip() else None,
        canonical_url=canonical,
        source=clean_inline(ex.source),
        summary_points=summary_points,
        cited_sources=cited_sources,
        repairs=repairs,
        word_count=count_words(text),
        content_hash=content_hash(text),
        extractor_version=extractor_version,
    )
