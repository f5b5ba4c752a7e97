"""Text helpers shared by extraction and normalisation: whitespace, quotes, sentences, titles.

Both stages need the same definition of "a sentence", "a clean one-line field" and "a title
made from the text", so they live here rather than in either stage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "clean_body",
    "clean_inline",
    "collapse_whitespace",
    "derive_title",
    "is_timestamp",
    "repair_backslash_quotes",
    "replace_chars",
    "split_sentences",
]

_BACKSLASH_QUOTE_RE = re.compile(r"\\+([\"'\u2018\u2019\u201c\u201d])")
# Invisible characters dropped from text: zero-width spaces and joiners, word joiner, BOM,
# soft hyphen.
_ZERO_WIDTH = tuple((char, "") for char in "\u200b\u200c\u200d\u2060\ufeff\u00ad")


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


# Typographic quotes, primes and dashes as their ASCII forms: one story typeset by two papers.
_QUOTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
}
QUOTE_PAIRS = tuple(_QUOTES.items())


def replace_chars(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    """``text`` with each (character, replacement) of ``pairs`` applied, by ``str.replace``
    where the character occurs: on a long text that is not all ASCII, 50 times faster than
    ``str.translate`` with a table, which looks every character up."""
    for char, replacement in pairs:
        if char in text:
            text = text.replace(char, replacement)
    return text


def collapse_whitespace(text: str) -> str:
    """One line: all whitespace runs become a single space (``str.split`` and the regular
    expression ``\\s`` know the same whitespace; this is 4 times faster than ``re.sub``)."""
    return " ".join(replace_chars(text, _ZERO_WIDTH).split())


def clean_inline(text: str | None) -> str | None:
    """NFC + collapsed whitespace for a one-line field; None/empty -> None."""
    if text is None:
        return None
    cleaned = collapse_whitespace(unicodedata.normalize("NFC", text))
    return cleaned or None


def clean_body(text: str) -> str:
    """NFC, newline normalisation, spaces collapsed; every non-empty line is a paragraph."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    paragraphs = [" ".join(line.split()) for line in replace_chars(text, _ZERO_WIDTH).split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


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


# Month names (English, German, French, Spanish, Italian) and their numbers.
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "januar", "janvier", "enero", "gennaio"),
            ("feb", "february", "februar", "février", "febrero", "febbraio"),
            ("mar", "march", "märz", "mars", "marzo"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("jun", "june", "juni", "juin", "junio", "giugno"),
            ("jul", "july", "juli", "juillet", "julio", "luglio"),
            ("aug", "august", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "oktober", "octobre", "octubre", "ottobre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dezember", "décembre", "diciembre", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = frozenset(
    ("mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs")
    + ("thursday", "fri", "friday", "sat", "saturday", "sun", "sunday")
)
# Words of a "Posted ... / Last updated at ..." stamp, time zones and ordinal suffixes.
_STAMP_WORDS = frozenset(
    ("updated", "last", "posted", "published", "created", "modified", "on", "at", "of")
    + ("am", "pm", "a", "p", "m", "st", "nd", "rd", "th", "et", "est", "edt", "gmt", "utc")
    + ("bst", "cet", "cest", "pst", "pdt", "cst", "cdt", "mst", "mdt")
)
_LETTERS_RE = re.compile(r"[^\W\d_]+")
# what makes a line a stamp: a clock time ("8: 24", "14:08"), a numeric date ("11 / 28 / 05",
# "2013-09-18") or a day with its month ("APR 28", "27 NOVEMBER", "June 06"; not "Mars 2020")
# the month names as a regular-expression alternation, longest first
MONTH_NAMES_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_STAMP_RE = re.compile(
    r"\d{1,2}\s*:\s*\d{2}|\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,4}"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?,?\s*(?:{MONTH_NAMES_RE})\b"
    rf"|\b(?:{MONTH_NAMES_RE})\.?,?\s*\d{{1,2}}(?!\d)",
    re.IGNORECASE,
)


def is_timestamp(line: str) -> bool:
    """Whether ``line`` is only a date or time stamp, not a headline: "APR 28", "Posted 11 / 27 /
    2005 7: 21 AM", "Last Updated: Monday, 28 November 2005, 02: 24 GMT": nothing but digits,
    month and weekday names and the words of such stamps, with a clock time, a numeric date or
    a day and its month among them. "9/11", "Top 10" and "Mars 2020" are not."""
    words = [w.lower() for w in _LETTERS_RE.findall(line)]
    if not all(w in MONTHS or w in _WEEKDAYS or w in _STAMP_WORDS for w in words):
        return False
    return bool(_STAMP_RE.search(line))


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


# Scripts written without spaces between words: every Han/kana character counts as a word
# (a Chinese word is 1-2 characters, so this errs on the generous side, as whitespace counting
# does for languages with long compounds); Thai, Lao, Khmer and Myanmar syllables are grouped by
# their average word length.
_IDEOGRAPHIC_RE = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_SOUTHEAST_ASIAN_RE = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]+")
_SOUTHEAST_ASIAN_WORD_CHARS = 5


def count_words(text: str) -> int:
    """Words of ``text`` counted per script: whitespace-separated tokens for alphabetic
    scripts, one per Han/kana character, and runs of Thai/Lao/Khmer/Myanmar letters divided by
    their average word length. A long Japanese article is not "18 words"."""
    ideographs = len(_IDEOGRAPHIC_RE.findall(text))
    southeast = 0
    for run in _SOUTHEAST_ASIAN_RE.findall(text):
        southeast += max(1, round(len(run) / _SOUTHEAST_ASIAN_WORD_CHARS))
    rest = _SOUTHEAST_ASIAN_RE.sub(" ", _IDEOGRAPHIC_RE.sub(" ", text))
    return len(rest.split()) + ideographs + southeast


def shorten_title(title: str, max_chars: int) -> str:
    """``title`` cut to at most ``max_chars``: at the last clause boundary (``:``, `` - ``,
    `` | ``, ``,``) that keeps a useful title, else at a word boundary with an ellipsis."""
    if len(title) <= max_chars:
        return title
    min_keep = max(20, int(max_chars * 0.4))
    best = -1
    for match in _TITLE_CUT_RE.finditer(title):
        if min_keep <= match.start() <= max_chars and not _inside_brackets(title[: match.start()]):
            best = match.start()
    if best > 0:
        return _strip_title_end(title[:best])
    cut = title[:max_chars]
    space = cut.rfind(" ")
    cut = cut[:space] if space > max_chars // 3 else title[: max_chars - 1]
    return _strip_title_end(cut)[: max_chars - 1] + "…"


_TITLE_CUT_RE = re.compile(r"(?:[,;:|](?=\s)|\s[—–|·-]+(?=\s))")


# Lone surrogates (from JSON "\ud800" escapes or surrogateescape decoding) cannot be encoded as
# UTF-8: pandas hashing in great-expectations and Postgres COPY fail on them. NUL and other C0
# controls (but tab and newline) are not text either, and Postgres refuses NUL in text.
_UNENCODABLE_RE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def make_encodable(value: str) -> tuple[str, bool]:
    """``value`` with lone surrogates replaced by U+FFFD and control characters removed.
    Returns (text, changed)."""
    if _UNENCODABLE_RE.search(value) is None:
        return value, False

    def _sub(match: re.Match[str]) -> str:
        return "\ufffd" if "\ud800" <= match.group(0) <= "\udfff" else ""

    return _UNENCODABLE_RE.sub(_sub, value), True
