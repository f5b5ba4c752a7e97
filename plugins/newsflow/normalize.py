"""Decoding and normalisation: bytes -> text, Extracted -> Normalized.

Everything here is a pure function (no database, no network), so it can be unit-tested
and re-run over stored raw documents when the extractor changes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import threading
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import charset_normalizer
import courlan

from newsflow.records import Extracted, Normalized

__all__ = [
    "BinaryContentError",
    "EmptyDocumentError",
    "canonicalize_url",
    "clean_inline",
    "collapse_whitespace",
    "content_hash",
    "decode_bytes",
    "derive_title",
    "detect_language",
    "language_code",
    "normalize",
    "repair_backslash_quotes",
    "sniff_meta_charset",
    "split_sentences",
    "to_utc",
]


class BinaryContentError(ValueError):
    """The document is binary data (an image, PDF, archive ...), not text."""


class EmptyDocumentError(ValueError):
    """The document is empty or holds only whitespace."""


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same 2 bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# (signature at offset 0, what it is); text-like signatures are made specific enough that
# a text document starting with the same letters is not mistaken for binary.
_MAGIC_NUMBERS: tuple[tuple[re.Pattern[bytes], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), kind)
    for pattern, kind in (
        (rb"\x89PNG\r\n\x1a\n", "PNG image"),
        (rb"%PDF-\d", "PDF document"),
        (rb"PK\x03\x04|PK\x05\x06", "ZIP archive (or docx/xlsx/epub)"),
        (rb"\x1f\x8b", "gzip data"),
        (rb"BZh[1-9]1AY&SY", "bzip2 data"),
        (rb"\xfd7zXZ\x00", "xz data"),
        (rb"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
        (rb"\x28\xb5\x2f\xfd", "zstd data"),
        (rb"GIF8[79]a", "GIF image"),
        (rb"\xff\xd8\xff", "JPEG image"),
        (rb"RIFF.{4}(?:WEBP|WAVE|AVI )", "RIFF container (WebP/WAV/AVI)"),
        (rb"OggS\x00", "Ogg media"),
        (rb"ID3[\x02-\x04]\x00", "MP3 audio"),
        (rb"\x7fELF", "ELF executable"),
        (rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (doc/xls)"),
        (rb"wOFF|wOF2", "WOFF font"),
        (rb"\x00\x00\x01\x00", "ICO image"),
        (rb"\x00\x00\x00.ftyp", "MP4/QuickTime media"),
    )
)

# C0 control bytes other than \t \n \f \r and ESC (ESC shows up in some legacy text).
_ASCII_BYTES = bytes(range(0x80))
_CONTROL_BYTES = bytes(
    sorted(
        set(range(0x00, 0x09)) | {0x0B} | set(range(0x0E, 0x1B)) | {0x1C, 0x1D, 0x1E, 0x1F, 0x7F}
    )
)
_CONTROL_SHARE_LIMIT = 0.05
_SNIFF_BYTES = 8192

# WHATWG: these labels mean windows-1252 on the web.
_LATIN1_LABELS = frozenset(
    {
        "iso-8859-1",
        "iso8859-1",
        "latin-1",
        "latin1",
        "l1",
        "us-ascii",
        "ascii",
        "iso_8859-1",
        "cp819",
        "ibm819",
    }
)

_META_CHARSET_RE = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9][A-Za-z0-9_\-:.]*)""",
    re.IGNORECASE,
)


def _codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    if label in _LATIN1_LABELS:
        return "cp1252"
    if label in {"x-user-defined", "binary", "none"}:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset declared by ``<meta charset>`` or ``<meta http-equiv=Content-Type>``.

    Only the first 8 KB are looked at (as the HTML spec prescribes, roughly). Returns the
    declared label in lower case if Python knows the codec, else None. A declared UTF-16/32
    is reported as ``utf-8``: if the declaration can be read as ASCII it is not UTF-16.
    """
    match = _META_CHARSET_RE.search(body[:_SNIFF_BYTES])
    if not match:
        return None
    label = match.group(1).decode("ascii", "replace").lower()
    name = _codec_name(label)
    if name is None:
        return None
    if name.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        return "utf-8"
    return label


def _check_binary(body: bytes) -> None:
    for magic, kind in _MAGIC_NUMBERS:
        if magic.match(body):
            raise BinaryContentError(
                f"binary content: looks like {kind} (starts with {body[:8]!r})"
            )
    if b"\x00" in body:
        nuls = body.count(0)
        raise BinaryContentError(f"binary content: {nuls} NUL byte(s) in the document")
    sample = body[:_SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if sample and controls / len(sample) > _CONTROL_SHARE_LIMIT:
        raise BinaryContentError(
            f"binary content: {controls} of the first {len(sample)} bytes are control characters"
        )


def _has_non_ascii(body: bytes) -> bool:
    return len(body.translate(None, _ASCII_BYTES)) > 0


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


class _InvalidCounter(threading.local):
    count = 0


_INVALID = _InvalidCounter()


def _count_invalid(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _INVALID.count += exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error("newsflow-count-replace", _count_invalid)


def _mostly_utf8(body: bytes, *, strict: bool = True) -> tuple[str, int] | None:
    """Decode bytes that are UTF-8 apart from a few invalid sequences.

    Returns (text, invalid byte count) when the body looks like damaged UTF-8: it has valid
    multi-byte sequences and (``strict``) few invalid bytes compared to them; else None (a
    legacy single-byte encoding is more likely).
    """
    non_ascii = len(body.translate(None, _ASCII_BYTES))
    if non_ascii == 0:
        return None
    _INVALID.count = 0
    text = body.decode("utf-8", errors="newsflow-count-replace")
    invalid = _INVALID.count
    valid_multibyte = non_ascii - invalid
    if valid_multibyte <= 0:
        return None
    if strict and invalid > max(8, valid_multibyte // 4):
        return None
    return text, invalid


# Encodings seen on real news pages, most common first: a near-tie in charset detection
# goes to the one earlier here (charset_normalizer alone calls French cp1252 text cp1257).
_WEB_ENCODINGS = (
    "utf_8",
    "cp1252",
    "cp1251",
    "cp1250",
    "iso8859_15",
    "cp1254",
    "cp1253",
    "cp1256",
    "cp1255",
    "cp1257",
    "cp1258",
    "koi8_r",
    "koi8_u",
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_9",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "shift_jis",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "euc_kr",
    "cp949",
    "tis_620",
    "cp874",
)
_DETECTION_TIE = 0.05


def _detect_charset(body: bytes) -> tuple[str, str] | None:
    """(text, codec) from charset_normalizer, preferring common web encodings on near-ties."""
    matches = list(charset_normalizer.from_bytes(body))
    if not matches:
        return None
    best_chaos = min(m.chaos for m in matches)
    ranked: list[tuple[int, int, str]] = []
    for order, match in enumerate(matches):
        if match.chaos > best_chaos + _DETECTION_TIE:
            continue
        for codec in [match.encoding, *match.could_be_from_charset]:
            if codec in _WEB_ENCODINGS:
                ranked.append((_WEB_ENCODINGS.index(codec), order, codec))
    if ranked:
        codec = min(ranked)[2]
        return body.decode(codec, errors="replace"), codec
    if _has_non_ascii(body) and _mostly_utf8(body, strict=False) is not None:
        return None  # damaged UTF-8 rather than some exotic code page
    return str(matches[0]), matches[0].encoding


def decode_bytes(body: bytes, declared_charset: str | None = None) -> tuple[str, list[str]]:
    """Decode a raw document to text; return (text, repairs).

    Order: BOM; the declared (HTTP header) charset if it is valid and decodes; strict UTF-8;
    an HTML ``<meta>`` charset; mostly-UTF-8 with replacement characters; charset
    detection (charset_normalizer); last resort UTF-8 with replacement.

    Raises :class:`EmptyDocumentError` for empty/whitespace-only input and
    :class:`BinaryContentError` for binary data.
    """
    repairs: list[str] = []
    if not body or not body.strip():
        raise EmptyDocumentError("empty document: no bytes other than whitespace")

    text: str | None = None
    for bom, codec in _BOMS:
        if body.startswith(bom):
            _INVALID.count = 0
            text = body[len(bom) :].decode(codec, errors="newsflow-count-replace")
            if _INVALID.count:
                label = codec.replace("-", "")
                repairs.append(f"invalid-{label}: {_INVALID.count} bytes replaced")
            break

    if text is None:
        declared = _codec_name(declared_charset)
        declared_label = (declared_charset or "").strip()
        if declared and declared.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
            text = _strict(body, declared)
        _check_binary(body)
        if text is None and declared_label and declared is None:
            repairs.append(f"declared-charset-unknown: {declared_label}")
        if text is None and declared:
            candidate = _strict(body, declared)
            if candidate is None:
                if declared != "utf-8":
                    repairs.append(f"declared-charset-mismatch: {declared_label}")
            elif declared != "utf-8" and _has_non_ascii(body) and _strict(body, "utf-8"):
                # Valid multi-byte UTF-8 is next to impossible by accident in a legacy
                # encoding; servers often send a default ISO-8859-1 for UTF-8 pages.
                repairs.append(f"declared-charset-overridden: {declared_label} -> utf-8")
                text = body.decode("utf-8")
            else:
                text = candidate
        if text is None:
            text = _strict(body, "utf-8")
        if text is None:
            meta = sniff_meta_charset(body)
            meta_codec = _codec_name(meta)
            if meta_codec and meta_codec != "utf-8":
                text = _strict(body, meta_codec)
        if text is None:
            damaged = _mostly_utf8(body)
            if damaged is not None:
                text, invalid = damaged
                repairs.append(f"invalid-utf8: {invalid} bytes replaced")
        if text is None:
            detected = _detect_charset(body)
            if detected is not None:
                text, codec = detected
                repairs.append(f"charset-detected: {codec}")
        if text is None:
            _INVALID.count = 0
            text = body.decode("utf-8", errors="newsflow-count-replace")
            repairs.append(f"invalid-utf8: {_INVALID.count} bytes replaced")

    text = text.lstrip("\ufeff")
    if not text.strip():
        raise EmptyDocumentError("empty document: only whitespace after decoding")
    return text, repairs


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
