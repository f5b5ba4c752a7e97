"""Normalisation: Extracted -> Normalized, and the text, URL and language helpers it uses.

Everything here is a pure function (no database, no network), so it can be unit-tested
and re-run over stored raw documents when the extractor changes.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import courlan

from newsflow.records import Extracted, Normalized

__all__ = [
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


# --------------------------------------------------------------------------- text cleanup

_BACKSLASH_QUOTE_RE = re.compile(r"\\+([\"'\u2018\u2019\u201c\u201d])")
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HSPACE_RE = re.compile(r"[^\S\n]+")
_WS_RE = re.compile(r"\s+")


def repair_backslash_quotes(text: str) -> tuple[str, bool]:
    """Replace literal backslash escapes before quotes (``\\”``, ``\\"``, ``\\’``, ``\\'``).

    A typographic closing quote escaped in an *opening* position (after a space or at the
    start, before a word) becomes the matching opening quote: ``says \\”no\\”`` -> ``says “no”``.
    Returns (text, changed).
    """
    if "\\" not in text:
        return text, False

    def _sub(match: re.Match[str]) -> str:
        quote = match.group(1)
        start, end = match.span()
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        opening = (before.isspace() or before in "([{—–-") and not after.isspace()
        if opening and quote == "\u201d":
            return "\u201c"
        if opening and quote == "\u2019":
            return "\u2018"
        return quote

    repaired = _BACKSLASH_QUOTE_RE.sub(_sub, text)
    return repaired, repaired != text


def collapse_whitespace(text: str) -> str:
    """One line: all whitespace runs become a single space."""
    return _WS_RE.sub(" ", _ZERO_WIDTH_RE.sub("", text)).strip()


def clean_inline(text: str | None) -> str | None:
    """NFC + collapsed whitespace for a one-line field; None/empty -> None."""
    if text is None:
        return None
    cleaned = collapse_whitespace(unicodedata.normalize("NFC", text))
    return cleaned or None


def _clean_body(text: str) -> str:
    """NFC, newline normalisation, spaces collapsed; every non-empty line is a paragraph."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    paragraphs = [_HSPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


# --------------------------------------------------------------------------- URLs


def canonicalize_url(url: str | None) -> str | None:
    """Canonical form of an http(s) URL, or None if it is not one.

    Lower-cases scheme and host, drops default ports, user info, fragments and tracking
    parameters (``utm_*``, ``fbclid``, ``gclid`` ...) and sorts the query (courlan).
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
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
    rebuilt = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    try:
        normalised = courlan.normalize_url(rebuilt, strict=False, trailing_slash=True)
    except (ValueError, AttributeError):
        return None
    normalised_parts = urlsplit(normalised)
    return urlunsplit(normalised_parts._replace(fragment=""))


# --------------------------------------------------------------------------- language

_LANGID_LOCK = threading.Lock()
_LANGID: Any = None
_MIN_LANGUAGE_LETTERS = 20
_MIN_LANGUAGE_CONFIDENCE = 0.5


def _identifier() -> Any:
    global _LANGID
    with _LANGID_LOCK:
        if _LANGID is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _LANGID = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _LANGID


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None if too short or too unsure."""
    if not text:
        return None
    sample = text[:20_000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < _MIN_LANGUAGE_LETTERS or len(sample.split()) < 3:
        return None
    lang, confidence = _identifier().classify(sample)
    if confidence < _MIN_LANGUAGE_CONFIDENCE:
        return None
    lang = str(lang).lower()
    return lang if re.fullmatch(r"[a-z]{2}", lang) else None


def language_code(value: str | None) -> str | None:
    """'en-US' / 'EN' / 'en_GB' -> 'en'; anything else -> None."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


# --------------------------------------------------------------------------- hashing


def content_hash(text: str) -> str:
    """sha256 hex over the text after NFC, casefolding and whitespace collapsing."""
    canonical = collapse_whitespace(unicodedata.normalize("NFC", text).casefold())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- titles

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "pres",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "est",
        "dept",
        "fig",
        "univ",
    ]
)
_SENTENCE_STARTERS = frozenset(
    re.findall(
        r"\S+",
        "The A An It It’s It's He She They We I You This That These Those There But And "
        "So Yet Nothing No None Meanwhile However In On At For After Before When While",
    )
)
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)")
_DATELINE_RE = re.compile(
    r"^[A-Z][A-Z .'’-]{2,40}(?:,\s*[A-Z][A-Za-z .]{1,30})?(?:\s*\([A-Za-z .]{2,20}\))?\s+[—–-]+\s+(?=\S)"
)
_CLAUSE_RE = re.compile(r"(?:[,;:](?=\s)|\s[—–-]+(?=\s))")
_TITLE_TRAILING_MARKS = " \t,;:…—–-"
_INITIALISM_END_RE = re.compile(r"(?:\b[A-Z]\.){2,}$")


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (abbreviation- and initial-aware)."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        punct_at = match.start()
        word_match = re.search(r"(\S+)$", text[max(start, punct_at - 40) : punct_at])
        word = word_match.group(1) if word_match else ""
        bare = word.strip("\"'“‘(").lower()
        if text[punct_at] == "." and (
            bare in _ABBREVIATIONS
            or re.fullmatch(r"(?:[a-z]\.)*[a-z]", bare) is not None  # initials, U.S, e.g
        ):
            # "U.S. officials" continues; "in the U.S. The talks" ends a sentence
            next_word = re.match(r"[\w’']+", text[end:].lstrip())
            if not next_word or next_word.group(0) not in _SENTENCE_STARTERS:
                continue
        following = text[end:].lstrip()
        if following and following[0].islower():
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def derive_title(text: str, max_chars: int = 120) -> str:
    """A headline-like title made from the first sentence of ``text``.

    Trailing sentence punctuation is dropped. A sentence longer than ``max_chars`` is cut
    at the last clause boundary (comma, semicolon, colon, dash) that leaves a title of a
    useful length, else at a word boundary with an ellipsis. Returns "" for empty text.
    """
    first_paragraph = ""
    for line in text.replace("\r", "\n").split("\n"):
        if line.strip():
            first_paragraph = collapse_whitespace(line)
            break
    if not first_paragraph:
        return ""
    first_paragraph = _DATELINE_RE.sub("", first_paragraph[: max_chars * 20])
    sentences = split_sentences(first_paragraph)
    sentence = sentences[0] if sentences else first_paragraph
    title = _strip_title_end(sentence)
    if len(title) <= max_chars:
        return title

    min_clause = max(20, int(max_chars * 0.4))
    best_cut = -1
    for match in _CLAUSE_RE.finditer(title):
        cut = match.start()
        if min_clause <= cut <= max_chars and not _inside_brackets(title[:cut]):
            best_cut = cut
    if best_cut > 0:
        return _strip_title_end(title[:best_cut])

    budget = max_chars - 1  # room for the ellipsis
    cut_text = title[: budget + 1]
    space = cut_text.rfind(" ")
    cut_text = cut_text[:space] if space > max_chars // 3 else title[:budget]
    return _strip_title_end(cut_text) + "…"


def _strip_title_end(title: str) -> str:
    """Drop trailing periods (not of an initialism like "U.S."), commas and clause marks."""
    title = title.strip()
    while True:
        new = title.rstrip(_TITLE_TRAILING_MARKS)
        if new.endswith(".") and not _INITIALISM_END_RE.search(new):
            new = new.rstrip(".").rstrip()
        if new == title:
            return new
        title = new


def _inside_brackets(prefix: str) -> bool:
    return prefix.count("(") > prefix.count(")") or prefix.count("“") > prefix.count("”")


# --------------------------------------------------------------------------- dates


def to_utc(value: datetime | None) -> datetime | None:
    """Timezone-aware UTC datetime; a naive value is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- normalize


def _add_repair(repairs: list[str], repair: str) -> None:
    if repair not in repairs:
        repairs.append(repair)


def normalize(
    ex: Extracted,
    *,
    extractor_version: str,
    fallback_published_at: datetime | None = None,
    fallback_published_at_source: str | None = None,
) -> Normalized:
    """Turn an :class:`Extracted` into a :class:`Normalized` record.

    NFC, whitespace cleanup (every line a paragraph, paragraphs joined by a blank line),
    backslash-quote repair, canonical URL, language, word count, content hash, a title
    (derived from the text if missing) and a UTC ``published_at`` (the fallback only when the
    document had none, with its own ``published_at_source``).
    """
    repairs: list[str] = []
    for repair in ex.repairs:
        _add_repair(repairs, repair)
    escapes_fixed = False

    def fix(value: str) -> str:
        nonlocal escapes_fixed
        repaired, changed = repair_backslash_quotes(value)
        escapes_fixed = escapes_fixed or changed
        return repaired

    text = _clean_body(fix(ex.text or ""))

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
    if published_at is None and fallback_published_at is not None:
        published_at = to_utc(fallback_published_at)
        published_at_source = fallback_published_at_source

    language = language_code(ex.language) or detect_language(text)
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
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor_version=extractor_version,
    )
