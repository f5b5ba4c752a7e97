"""What the clusterer sees of an article: three feature channels (see :func:`featurize`).

* ``terms``: content words (lowercased, stop words removed, light plural stemming), sublinear tf,
  headline words counted twice;
* ``names``: named entities -- capitalised multi-word names (and their parts, so "Reid" matches
  "Tara Reid"), single capitalised words that never occur in lower case in the article, and
  gazetteer places (:mod:`.gazetteer`);
* ``facts``: numbers with their unit word ("23 pirates", "magnitude 6.1", "33 year old"),
  years and calendar dates ("may 3") mentioned in the text.

Features are computed once per article and stored with its event membership, so re-clustering
reads them back instead of re-extracting the text. Vectors are raw weights; IDF is applied at
comparison time (:mod:`.docfreq`), because document frequencies change as the stream grows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .gazetteer import gazetteer, regions
from .lexicon import MONTHS, NOT_NAMES, NUMBER_WORDS_SKIP, STOPWORDS, TITLES, WEEKDAYS


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def from_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
# Name candidates: capitalised words, numbers, runs of lower-case ASCII letters (never part of
# a name: one token for the run, not one per letter), any other single character.
_CAP_TOKEN_RE = re.compile(r"[A-Z][\w'\u2019.&-]*|[A-Za-z]?\d[\w.,-]*|[a-z]+|\S")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])|\n+")


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    # ECB+ style tokenisation artefacts: "6. 1" -> "6.1", "2, 000" -> "2,000", "re - elect"
    text = re.sub(r"(?<=\d)\. (?=\d)", ".", text)
    text = re.sub(r"(?<=\d), (?=\d{3}(?!\d))", ",", text)
    text = re.sub(r"(?<=\w) - (?=\w)", "-", text)
    return text


def _stem(word: str) -> str:
    if len(word) > 4:
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("es") and word[-3] in "sxz" and not word.endswith("sses"):
            return word[:-2]
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


def _term(word: str) -> str | None:
    """The term a lower-cased word counts as (None: not a term)."""
    w = word.replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) < 3 or w in STOPWORDS or w in WEEKDAYS or w in MONTHS:
        return None
    return _stem(w)


_TERM_CACHE: dict[str, str | None] = {}  # word -> term, per process
_TERM_CACHE_MAX = 200_000
_MISSING: Any = object()


def _terms(text: str) -> list[str]:
    cache = _TERM_CACHE
    out = []
    for word in _WORD_RE.findall(text.lower()):
        term = cache.get(word, _MISSING)
        if term is _MISSING:
            if len(cache) >= _TERM_CACHE_MAX:
                cache.clear()
            term = cache[word] = _term(word)
        if term is not None:
            out.append(term)
    return out


def channel_keys(
    terms: Mapping[str, float], names: Mapping[str, float], facts: Mapping[str, float]
) -> set[str]:
    """Document-frequency keys of three channel vectors (an article's or a centroid's)."""
    return {"t:" + k for k in terms} | {"e:" + k for k in names} | {"n:" + k for k in facts}


# What :func:`featurize` computes, as a number stored with every membership's features. Bump it
# whenever featurize() can give other keys or weights for the same article: on its next run the
# clustering job re-featurises the memberships stored with an older number from their articles'
# text (:func:`newsflow.events.store.refeaturize`), so old and new articles are compared on the
# same keys ("new zealand", not "zealand" beside it) and the document frequencies stay the
# counts of the stored keys. Stored features without a number are version 1.
#   1: until 2026-12 (no number stored)
#   2: "New York"/"New Zealand" one name and place, "Mt" read as "Mount", a city the article also
#      writes in lower case is not a place ("the police")
FEATURES_VERSION = 2


@dataclass
class ArticleFeatures:
    """Features of one article (see module docstring). Vectors are raw weights (no IDF)."""

    title: str
    terms: dict[str, float]
    names: dict[str, float]
    facts: dict[str, float]
    places: list[str]
    published_at: datetime | None
    lead: str = ""
    # the title was made from the text (first sentence), not given by the source
    title_derived: bool = False
    # vectors as (key ids, values) arrays for vectorised similarity; not persisted
    arrays: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def keys(self) -> set[str]:
        """All feature keys, prefixed by channel, for document frequencies."""
        return channel_keys(self.terms, self.names, self.facts)

    def years(self) -> frozenset[str]:
        return frozenset(k for k in self.facts if k.startswith("year:"))

    def to_json(self) -> dict[str, Any]:
        """JSON form, stored with each event membership (re-clustering needs no re-extraction)."""
        return {
            "title": self.title,
            "terms": {k: round(v, 4) for k, v in self.terms.items()},
            "names": {k: round(v, 4) for k, v in self.names.items()},
            "facts": {k: round(v, 4) for k, v in self.facts.items()},
            "places": self.places,
            "published_at": iso(self.published_at),
            "lead": self.lead,
            "title_derived": self.title_derived,
            "version": FEATURES_VERSION,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ArticleFeatures:
        return cls(
            title=d.get("title", ""),
            terms={k: float(v) for k, v in d.get("terms", {}).items()},
            names={k: float(v) for k, v in d.get("names", {}).items()},
            facts={k: float(v) for k, v in d.get("facts", {}).items()},
            places=list(d.get("places", [])),
            published_at=from_iso(d.get("published_at")),
            lead=d.get("lead", ""),
            title_derived=bool(d.get("title_derived", False)),
        )


def _lead_sentence(text: str, title: str) -> str:
    for s in _SENT_SPLIT.split(text):
        s = s.strip()
        if len(s.split()) >= 8 and s != title.strip():
            return s
    return text.strip().split("\n", 1)[0][:300]


_NAME_PARTICLES = ("of", "de", "al", "bin", "van", "von", "la", "del")
# Capitalised words that are not names alone but start one before another capitalised word.
_NAME_PREFIXES = frozenset(["New"])
# Abbreviations written out, so that "Mt Cook" and "Mount Cook" are one name.
_NAME_ABBREVIATIONS = {"Mt": "Mount"}
_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


def _capitalised_runs(text: str, lower_words: set[str]) -> list[list[str]]:
    """Runs of capitalised words (name candidates), job titles and a sentence-initial word
    that is also written in lower case ("Bringing Brand" -> "Brand") dropped."""
    runs: list[list[str]] = []
    for sent in _SENT_SPLIT.split(text):
        toks = _CAP_TOKEN_RE.findall(sent)
        sent_runs: list[tuple[int, list[str]]] = []
        cur: list[str] = []
        cur_start = 0
        for i, tok in enumerate(toks):
            if tok[0] in _ASCII_LOWER:  # lower case: ends a run, never a name or a particle
                if cur:
                    sent_runs.append((cur_start, cur))
                    cur = []
                continue
            clean = tok.strip(".,'\u2019-").replace("\u2019", "'")
            if clean.endswith("'s"):
                clean = clean[:-2]
            clean = _NAME_ABBREVIATIONS.get(clean, clean)
            is_cap = bool(clean) and clean[0].isupper() and clean.lower() not in NOT_NAMES
            if not is_cap and clean in _NAME_PREFIXES and i + 1 < len(toks):
                # "New" starts a name ("New Zealand", "New York") when a capital follows
                is_cap = toks[i + 1][0].isupper() and toks[i + 1].lower() not in NOT_NAMES
            if is_cap and i == 0 and not (len(toks) > 1 and toks[1][:1].isupper()):
                # sentence-initial single word: a name only if never written in lower case
                is_cap = clean.lower() not in lower_words
            if is_cap:
                if not cur:
                    cur_start = i
                cur.append(clean)
            elif cur and clean.lower() in _NAME_PARTICLES:
                cur.append(clean.lower())
            else:
                if cur:
                    sent_runs.append((cur_start, cur))
                cur = []
            if tok.endswith((",", ".")) and cur:
                sent_runs.append((cur_start, cur))
                cur = []
        if cur:
            sent_runs.append((cur_start, cur))
        for first, run in sent_runs:
            while run and run[-1].islower():
                run.pop()
            while len(run) > 1 and run[0].lower() in TITLES:
                run.pop(0)
            if (
                first == 0
                and len(run) > 1
                and run[0].lower() in lower_words
                and run[0] not in _NAME_PREFIXES
            ):
                run.pop(0)
            # a title inside a run separates two names ("Patrol Officer Brad Baehr")
            piece: list[str] = []
            for w in run:
                if w.lower() in TITLES:
                    if piece:
                        runs.append(piece)
                    piece = []
                else:
                    piece.append(w)
            if piece:
                runs.append(piece)
    return runs


# Words that may stand before a city name in one capitalised run ("Central Paris").
_PLACE_QUALIFIERS = frozenset(
    ["downtown", "central", "greater", "north", "south", "east", "west", "northern", "southern",
     "eastern", "western", "suburban", "metro"]
)  # fmt: skip


def _places_in_run(words: list[str], name_parts: set[str], lower_words: set[str]) -> list[str]:
    """Gazetteer places in one run: countries, states and aliases wherever they stand (longest
    n-gram first); a city only as the whole run (or after a qualifier such as "central"),
    and not when it is also part of a longer name in the article ("Michael Jackson" ...
    "Jackson") or a word the article writes in lower case ("Police said" where it also writes
    "the police": Police is a town in Poland)."""
    gaz, region = gazetteer(), regions()
    found: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            cand = " ".join(words[i : i + n])
            if i + n > len(words) or cand not in gaz:
                continue
            whole = i + n == len(words) and all(w in _PLACE_QUALIFIERS for w in words[:i])
            if cand in region or (
                whole and not (n == 1 and (cand in name_parts or cand in lower_words))
            ):
                found.append(gaz[cand])
            i += n - 1
            break
        i += 1
    return found


def _names_and_places(text: str) -> tuple[defaultdict[str, float], list[str]]:
    lower_words = {m.group(0) for m in re.finditer(r"\b[a-z][a-z'-]+\b", text)}
    runs = [[w.lower() for w in run] for run in _capitalised_runs(text, lower_words)]
    gaz = gazetteer()
    name_parts = {w for words in runs if len(words) > 1 and " ".join(words) not in gaz
                  for w in words}  # fmt: skip
    names: defaultdict[str, float] = defaultdict(float)  # half weight for partial names
    places: list[str] = []
    for words in runs:
        places.extend(_places_in_run(words, name_parts, lower_words))
        full = " ".join(words)
        if len(words) == 1:
            if full not in lower_words and len(full) >= 2:
                names[full] += 1
            continue
        names[full] += 1
        # parts match partial mentions; the last (a surname, "Vinar") is how a person is
        # named again, so it weighs as a name of its own
        for k, w in enumerate(words):
            if len(w) >= 3 and w not in NOT_NAMES and w not in lower_words:
                names[w] += 1.0 if k == len(words) - 1 else 0.5
    return names, places


_NUM_RE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(%|percent|per cent))?"
    r"(?:[\s-]+([A-Za-z][A-Za-z-]*))?(?:[\s-]+([A-Za-z][A-Za-z-]*))?"
)
_MONTH_DAY_RE = re.compile(
    r"\b("
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
_DAY_MONTH_RE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


# Clock times ("13:59", "7: 21 AM") say when a page was updated, not what happened.
_CLOCK_RE = re.compile(r"\b\d{1,2}\s?:\s?\d{2}(?::\d{2})?\b")
# Numeric dates, month first ("11/28/05", "11 / 27 / 2005").
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})\s?/\s?(\d{1,2})\s?/\s?(\d{4}|\d{2})\b")


def _facts(text: str) -> defaultdict[str, float]:
    facts: defaultdict[str, float] = defaultdict(float)
    text = _CLOCK_RE.sub(" ", text)
    for m in _NUMERIC_DATE_RE.finditer(text):
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= month <= 12 and 1 <= day <= 31:
            facts[f"date:{month}-{day}"] += 1
            facts[f"year:{year if len(year) == 4 else '20' + year}"] += 1
    text = _NUMERIC_DATE_RE.sub(" ", text)
    for m in _MONTH_DAY_RE.finditer(text):
        facts[f"date:{MONTHS[m.group(1).lower()]}-{int(m.group(2))}"] += 1
    for m in _DAY_MONTH_RE.finditer(text):
        facts[f"date:{MONTHS[m.group(2).lower()]}-{int(m.group(1))}"] += 1
    text = _DAY_MONTH_RE.sub(" ", _MONTH_DAY_RE.sub(" ", text))  # their numbers are counted
    for m in _NUM_RE.finditer(text):
        num = m.group(1).replace(",", "")
        try:
            value = float(num)
        except ValueError:
            continue
        if "," not in m.group(1) and "." not in num and 1900 <= value <= 2099 and len(num) == 4:
            facts[f"year:{num}"] += 1
            continue
        unit = None
        if m.group(2):
            unit = "percent"
        else:
            for g in (m.group(3), m.group(4)):
                if g and g.lower() not in NUMBER_WORDS_SKIP:
                    unit = _stem(g.lower().strip("-"))
                    break
        if value <= 10 and "." not in num and unit is None:
            continue  # bare small integers are noise
        if unit and unit in MONTHS:
            continue  # "3 May" handled above
        facts[f"{num} {unit}" if unit else num] += 1
        if unit and (value > 10 or "." in num):
            facts[num] += 0.5
    return facts


def _sublinear(counts: Mapping[str, float]) -> dict[str, float]:
    return {k: 1.0 + math.log(v) if v >= 1 else v for k, v in counts.items() if v > 0}


def featurize(
    title: str | None,
    text: str,
    published_at: datetime | None = None,
    *,
    title_derived: bool = False,
) -> ArticleFeatures:
    """Compute the clustering features of an article (``title_derived``: the title was made
    from the text; without a title the first line stands in and counts as derived)."""
    title_derived = title_derived or not (title or "").strip()
    title = (title or "").strip()
    text = _normalize(text or "")
    ntitle = _normalize(title)
    body = text
    if ntitle and body.startswith(ntitle):
        body = body[len(ntitle) :]
    term_counts: Counter = Counter(_terms(body))
    for t in _terms(ntitle):
        term_counts[t] += 2
    names, places = _names_and_places(ntitle + "\n" + body)
    facts = _facts(ntitle + "\n" + body)
    for p in places:
        names["place:" + p.lower()] += 1
    return ArticleFeatures(
        title=title or text.strip().split("\n", 1)[0][:200],
        terms=_sublinear(term_counts),
        names=_sublinear(names),
        facts=_sublinear(facts),
        places=sorted(set(places)),
        published_at=published_at,
        lead=_lead_sentence(body, title),
        title_derived=title_derived,
    )
