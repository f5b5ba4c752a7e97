"""Bytes to text: the one charset decoder, for archived documents and fetched bodies alike.

Order: byte-order mark; a declared (HTTP header) charset that is valid and decodes; strict
UTF-8; an in-document declaration (``<meta charset>``, ``<?xml encoding?>``); mostly-UTF-8 with
replacement characters; charset detection (charset_normalizer, preferring common web
encodings on near-ties); last resort UTF-8 with replacement. Every departure from a clean
decode is named in the returned repairs.
"""

from __future__ import annotations

import codecs
import re
import threading

import charset_normalizer

__all__ = [
    "BinaryContentError",
    "EmptyDocumentError",
    "decode_bytes",
    "decode_text",
    "sniff_meta_charset",
]


class BinaryContentError(ValueError):
    """The document is binary data (an image, PDF, archive ...), not text."""


class EmptyDocumentError(ValueError):
    """The document is empty or holds only whitespace."""


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same 2 bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

BOMS = tuple(bom for bom, _ in _BOMS)  # the byte order marks, as str.startswith takes them
# ... of UTF-16/32, whose lines cannot be split as bytes
WIDE_BOMS = tuple(bom for bom, codec in _BOMS if codec != "utf-8")
# the repair of UTF-16/32 text found without a byte order mark (see _wide_without_bom)
BOM_MISSING = "bom-missing"

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

# the encoding an XML declaration states (documents and feeds)
XML_ENCODING_RE = re.compile(
    rb"""\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9][A-Za-z0-9_\-.]*)["']"""
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
    """The charset declared by ``<?xml encoding?>``, ``<meta charset>`` or ``<meta http-equiv=Content-Type>``.

    Only the first 8 KB are looked at (as the HTML spec prescribes, roughly). Returns the
    declared label in lower case if Python knows the codec, else None. A declared UTF-16/32
    is reported as ``utf-8``: if the declaration can be read as ASCII it is not UTF-16.
    """
    match = XML_ENCODING_RE.match(body[:_SNIFF_BYTES]) or _META_CHARSET_RE.search(
        body[:_SNIFF_BYTES]
    )
    if not match:
        return None
    label = match.group(1).decode("ascii", "replace").lower()
    name = _codec_name(label)
    if name is None:
        return None
    if name.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        return "utf-8"
    return label


# NUL bytes in text: a stray one (a bad copy, a broken CMS) is removed; beyond this share of
# the document, and not the pattern of UTF-16/32, the bytes are binary.
_NUL_SHARE_LIMIT = 0.005


def _wide_without_bom(body: bytes) -> str | None:
    """The codec of UTF-16/32 text without a byte order mark, told by where its NUL bytes
    fall (Latin-script text: one byte of each UTF-16 unit is NUL), when the body decodes
    strictly with it; else None."""
    sample = body[: _SNIFF_BYTES - _SNIFF_BYTES % 4]
    if len(sample) < 16 or b"\x00" not in sample:
        return None
    for codec, width in (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2)):
        text_at = 0 if codec.endswith("le") else width - 1  # the byte that carries the letter
        lanes = [sample[i::width] for i in range(width)]
        nul_lanes = [lane.count(0) / len(lane) for lane in lanes]
        if nul_lanes[text_at] < 0.05 and all(
            share > 0.6 for n, share in enumerate(nul_lanes) if n != text_at
        ):
            text = _strict(body, codec)
            if text is not None and "\x00" not in text:
                return codec
    return None


def _check_binary(body: bytes) -> None:
    for magic, kind in _MAGIC_NUMBERS:
        if magic.match(body):
            raise BinaryContentError(
                f"binary content: the document is binary data ({kind}), not text"
            )
    nuls = body.count(0) if b"\x00" in body else 0
    if nuls > _NUL_SHARE_LIMIT * len(body):
        raise BinaryContentError(f"binary content: {nuls} NUL byte(s) in the document")
    _check_controls(body[:_SNIFF_BYTES])


def _check_controls(sample: bytes) -> None:
    """Binary when over :data:`_CONTROL_SHARE_LIMIT` of ``sample`` are control bytes."""
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


def mostly_utf8(body: bytes, *, strict: bool = True) -> tuple[str, int] | None:
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
    if _has_non_ascii(body) and mostly_utf8(body, strict=False) is not None:
        return None  # damaged UTF-8 rather than some exotic code page
    return str(matches[0]), matches[0].encoding


# Codecs of one byte per character: any bytes decode, so their label cannot tell UTF-8 with a
# stray byte from legacy text; multi-byte legacy codecs (GBK, Shift JIS) can look like UTF-8.
_SINGLE_BYTE_CODECS = ("cp125", "iso8859", "latin", "koi8", "mac")
# ... and the UTF-8 evidence that overrides such a label: this many bytes in valid multi-byte
# sequences, and this many of them for each invalid byte
_OVERRIDE_MIN_VALID_BYTES = 8
_OVERRIDE_VALID_PER_INVALID = 8


def _unless_damaged_utf8(
    body: bytes, codec: str, label: str, decoded: str, repairs: list[str]
) -> str:
    """``decoded`` (the body in the labelled ``codec``), unless the label is a single-byte code
    page and the body is UTF-8 apart from a few invalid bytes (:func:`mostly_utf8`): pages
    kept an old ISO-8859-1 label after moving to UTF-8, and one stray byte made every "ü" of
    them "Ã¼"."""
    if not codec.startswith(_SINGLE_BYTE_CODECS):
        return decoded
    damaged = mostly_utf8(body, strict=False)
    if damaged is None:
        return decoded
    text, invalid = damaged
    valid = len(body.translate(None, _ASCII_BYTES)) - invalid
    # strong evidence only: legacy text makes a valid pair by chance ("É”" in cp1252, "ĘŚ" in
    # ISO-8859-2), among many invalid bytes
    if valid < _OVERRIDE_MIN_VALID_BYTES or invalid * _OVERRIDE_VALID_PER_INVALID > valid:
        return decoded
    repairs.append(f"declared-charset-overridden: {label} -> utf-8")
    repairs.append(f"invalid-utf8: {invalid} bytes replaced")
    return text


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
            if text is not None and "\x00" in text:
                text = None  # NUL characters: binary data, whatever the label says
        if text is None and (wide := _wide_without_bom(body)) is not None:
            text = body.decode(wide)
            repairs.append(f"{BOM_MISSING}: decoded as {wide}")
        if text is None:
            _check_binary(body)
            if b"\x00" in body:
                # a stray NUL in UTF-8 text goes; in anything else it is taken for binary data
                # (a text head does not make a binary tail text)
                cleaned = body.replace(b"\x00", b"")
                nuls = len(body) - len(cleaned)
                if _strict(cleaned, "utf-8") is None and mostly_utf8(cleaned) is None:
                    raise BinaryContentError(
                        f"binary content: {nuls} NUL byte(s) in a document that is not UTF-8 text"
                    )
                repairs.append(f"nul-removed: {nuls}")
                body = cleaned
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
                text = _unless_damaged_utf8(body, declared, declared_label, candidate, repairs)
        if text is None:
            text = _strict(body, "utf-8")
        if text is None:
            meta = sniff_meta_charset(body)
            meta_codec = _codec_name(meta)
            if meta_codec and meta_codec != "utf-8":
                candidate = _strict(body, meta_codec)
                if candidate is not None:
                    label = f"meta {meta}"
                    text = _unless_damaged_utf8(body, meta_codec, label, candidate, repairs)
        if text is None:
            damaged = mostly_utf8(body)
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


def decode_text(body: bytes, declared_charset: str | None = None) -> str:
    """Best-effort text of a body that is not an article (robots.txt, a feed shown in a log):
    the same decoder, but empty or binary input gives ``""`` instead of an error."""
    try:
        return decode_bytes(body, declared_charset)[0]
    except (EmptyDocumentError, BinaryContentError):
        return ""
