"""Line classes of plain-text layout: boilerplate lines, headings, bylines, takeaways, lists.

Shared by the plain-text heuristics, the JSONL path and the HTML cleanup, so that a line is
"boilerplate" or "a byline" by one definition whatever the document's format.
"""

from __future__ import annotations

import re

from newsflow.text import split_sentences

_BOILERPLATE_ANYWHERE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"advertisement",
        r"advert",
        r"sponsored( content)?",
        r"(story|article) continues below( (this )?advertisement)?",
        r"comments?\s*\(\d+\)",
        r"share (this|the) (article|story|post|page)\s*:?",
        r"skip to (main )?content",
        r"back to top",
    )
]

_BOILERPLATE_TRAILING = _BOILERPLATE_ANYWHERE + [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\d+\s+comments?",
        r"comments?\s*:?",
        r"(no|view|show|load|see|read)( all)? comments?( \(\d+\))?",
        r"(leave|post|add|write) a (comment|reply|response)\s*:?",
        r"join the (conversation|discussion)",
        r"(be the )?first to comment\.?",
        r"share (this|the) (article|story|post|page)\b.{0,80}",
        r"share( (on|via) .{1,40})?\s*:?",
        r"(tweet|print|e-?mail|copy link|whatsapp|facebook|twitter|linkedin)",
        r"(like|share) this\s*:?",
        r"related( articles?| stories| posts| content| news| coverage| reading| links)?\s*:?",
        r"(you (may|might) also (like|enjoy)|more from .{1,40}|recommended( for you)?|most (read|popular)|trending( now)?)\s*:?",
        r"read more\b.{0,120}",
        r"read (the )?(full|original) (article|story)\b.{0,80}",
        r"continue reading\b.{0,80}",
        r"click here\b.{0,100}",
        r"(subscribe|sign up)\b.{0,100}",
        r"follow us( on .{1,60})?",
        r"(tags?|topics?|filed under|posted in|categories)\s*:.{0,200}",
        r"(©|\(c\)|copyright\b).{0,150}",
        r"all rights reserved\.?",
    )
]

SOURCES_HEADER_RE = re.compile(
    r"^(sources?|references?|citations?|further reading|works cited)\s*:?\s*$", re.IGNORECASE
)
SOURCES_INLINE_RE = re.compile(r"^(sources?|references?)\s*:\s+(.+)$", re.IGNORECASE)
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*•‣▪–—]|\d{1,2}[.)])\s+(.+)$")
TAKEAWAYS_HEADER_RE = re.compile(
    r"^(key (takeaways?|points|facts)|takeaways?|highlights|at a glance|in brief|summary|"
    r"tl;?dr|the big picture|what to know|what you need to know)\s*:?\s*$",
    re.IGNORECASE,
)
# Every capital letter Unicode knows (Ł, Ş, Č, Ő, Greek, Cyrillic...): a name starts with one.
_CAPITALS = "".join(re.escape(c) for c in map(chr, range(0x10000)) if c.isupper() and c.isalpha())
_NAME = rf"[{_CAPITALS}][\w.'’-]*"
# lowercase particles inside a name: "Maria de la Cruz", "Ruud van der Berg", "Ali bin Said"
_PARTICLES = r"(?:(?:de|del|della|der|den|di|da|das|do|dos|du|la|le|van|von|y|bin|ibn|al|el)\s+)*"
BYLINE_RE = re.compile(
    r"^(?i:by|written by|words by|reporting by)\s+"
    rf"({_NAME}(?:[ ,]+(?:and\s+|&\s+)?{_PARTICLES}{_NAME}){{0,7}})$"
)
_SMALL_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the and but or nor for so yet of to in on at by with from as into onto over under "
        "than via vs per up off out amid after before about against between near towards toward "
        "is are was were be been its his her their our your it",
    )
)
TERMINAL_RE = re.compile(r"[.!?…][\"'”’)\]]*$")
HTML_TAG_RE = re.compile(
    r"</?(p|br|div|span|a|em|strong|b|i|u|h[1-6]|li|ul|ol|blockquote|figure|img)\b[^>]*>",
    re.IGNORECASE,
)

_MAX_HEADLINE_CHARS = 120
_MAX_HEADLINE_WORDS = 16
_MAX_TAKEAWAY_CHARS = 300
MAX_TAKEAWAYS = 15
_LONG_PARAGRAPH_CHARS = 150
_LONG_PARAGRAPH_WORDS = 20
MAX_SOURCES = 30
MAX_SOURCE_CHARS = 250


# A reported statement: news prose, never a site's boilerplate, whatever words it shares with
# a footer ("declined to comment", "said its subscriber base grew", "the European Commission").
REPORTED_RE = re.compile(
    r"\b(said|says|(?<!your )say|told|declined|according to|reported|announced|added|confirmed"
    r"|stated|(did|does) not (immediately )?respond|could not be reached|requests? for comment"
    r"|sagte|sagt|erklärte|betonte|dijo|afirmó|señaló|explicó|a déclaré|a indiqué|selon)\b",
    re.IGNORECASE,
)
# Words of a call to the reader: addressing them, or telling them what to do.
READER_RE = re.compile(
    r"\b(you|your|our|us|we|me|unsere?[nmrs]?|uns|ihr|dich|euch|du|nuestr[oa]s?|te|tu|tus"
    r"|tenemos|vous|votre|nos|notre|download|get|join|únete|visit|check out|(never|don't) miss"
    r"|jetzt|bitte|klicken|anklicken|click)\b|\b(sie|usted)\b(?!\s+(haben|hatten|wurden|sind"
    r"|waren)\b)",
    re.IGNORECASE,
)
# ... opening the line: "Read more: ...", "Click here ...", "Sign up for ..."
_CALL_OPENING_RE = re.compile(
    r"(read|click|tap|sign|subscribe|follow|download|share|join|get|see|watch|listen|support"
    r"|donate|register|log ?in|lesen|lies|klicken|abonnieren|folgen|lea|mira|suscr[ií]bete|lire"
    r"|abonnez)\b",
    re.IGNORECASE,
)


_QUOTED_RE = re.compile(r"[\"“”„«»][^\"“”„«»]*[\"“”„«»]|‘[^’]*’")


def reported_prose(line: str) -> bool:
    """A reported statement ("declined to comment", "said its subscriber base grew") that
    neither opens with a call nor speaks to the reader: news prose, never a footer, whatever
    words it shares with one. "Read more: Mayor says ..." and "Sign up to hear what experts
    say" are still footers."""
    stripped = line.strip()
    return (
        REPORTED_RE.search(stripped) is not None
        and not _CALL_OPENING_RE.match(stripped)
        # "'We will rebuild our harbour,' the mayor said": a quote's "we" is not the site's
        and not READER_RE.search(_QUOTED_RE.sub(" ", stripped))
    )


def is_boilerplate(line: str, *, trailing: bool) -> bool:
    if len(line) > 200:
        return False
    patterns = _BOILERPLATE_TRAILING if trailing else _BOILERPLATE_ANYWHERE
    stripped = line.strip().strip("|·•»›>").strip()
    return any(p.fullmatch(stripped) for p in patterns) and not reported_prose(stripped)


def is_list_item(line: str) -> bool:
    return _LIST_ITEM_RE.match(line) is not None


def _is_title_case(line: str) -> bool:
    words = [w.strip("\"'“”‘’()[]") for w in line.split()]
    words = [w for w in words if w]
    if not words or not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    significant = [w for w in words[1:] if w[0].isalpha() and w.lower() not in _SMALL_WORDS]
    if not significant:
        return True
    capitalised = sum(1 for w in significant if w[0].isupper())
    return capitalised / len(significant) >= 0.6


def is_heading_like(line: str) -> bool:
    """Short line, no terminal sentence punctuation (?/! allowed), Title-Case-ish."""
    words = line.split()
    if not (2 <= len(words) <= _MAX_HEADLINE_WORDS) or len(line) > _MAX_HEADLINE_CHARS:
        return False
    if line[-1] in ".,;:" or is_list_item(line) or BYLINE_RE.match(line):
        return False
    return _is_title_case(line)


def is_sentence_case_headline(line: str) -> bool:
    """A first line like "Rebels close in on Damascus" (no terminal period, short)."""
    words = line.split()
    return (
        3 <= len(words) <= 14
        and len(line) <= _MAX_HEADLINE_CHARS
        and line[0].isupper()
        and line[-1] not in ".,;:"
        and not is_list_item(line)
        and not BYLINE_RE.match(line)
        and len(split_sentences(line)) == 1
    )


def is_long_paragraph(line: str) -> bool:
    return len(line) >= _LONG_PARAGRAPH_CHARS and len(line.split()) >= _LONG_PARAGRAPH_WORDS


def bullet_text(line: str) -> str | None:
    match = _LIST_ITEM_RE.match(line)
    return match.group(1).strip() if match else None


def is_takeaway(line: str) -> bool:
    """A key-takeaway line: one full sentence (or a bullet item), not too long."""
    if len(line) > _MAX_TAKEAWAY_CHARS:
        return False
    if bullet_text(line) is not None:
        return True
    if len(line) < 20 or not TERMINAL_RE.search(line):
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "\"“‘'"):
        return False
    return len(split_sentences(line)) == 1
