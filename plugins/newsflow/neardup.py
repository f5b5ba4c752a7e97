"""Near-duplicate detection: word shingles, MinHash, LSH banding and exact verification.

Pipeline for one incoming article:

1. ``fp = fingerprint(text)``: normalised word shingles -> MinHash (``NUM_PERM`` permutations,
   fixed seed; numpy, see the MinHash section) -> LSH band keys ``[(band_no, signed_int64), ...]``.
2. ``index.candidates(fp.keys)``: ids of stored articles sharing at least one band key
   (in Postgres: ``minhash_bands``).
3. Each candidate is *verified* on exact shingle sets (:func:`verify`): Jaccard for copies of
   similar length, containment ``|A & B| / min(|A|, |B|)`` for truncated copies and re-posts
   with added boilerplate. The best verified original wins (earliest by the caller's ordering
   key: published time, then id).

Band layout: ``BANDS`` = 42 bands of ``ROWS`` = 3 rows (126 of the 128 permutations). The
probability that a pair of MinHash-Jaccard ``s`` becomes a candidate is ``1 - (1 - s^3)^42``:
s=0.5 -> 0.996, s=0.4 -> 0.94, s=0.3 -> 0.68, s=0.2 -> 0.29, s=0.1 -> 0.04. A copy truncated
to 50% has s~0.5, a 10%-edited copy s~0.45 with 3-word shingles, so both are found, while
unrelated articles rarely collide (and collisions are removed by verification).

Minimum length: texts with fewer than ``MIN_WORDS`` normalised words are never claimed as
near-duplicates (they share too many stock phrases; exact content-hash dedup still applies).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from typing import Any, Protocol

from newsflow.minhash import (
    BANDS,
    NUM_PERM,
    ROWS,
    SEED,
    SHINGLE_K,
    MinHash,
    band_keys,
    minhash_of,
    minhash_of_words,
    signature_bytes,
    signature_from_bytes,
)
from newsflow.text import QUOTE_PAIRS, replace_chars

__all__ = [
    "BANDS",
    "MIN_WORDS",
    "NUM_PERM",
    "ROWS",
    "SEED",
    "SHINGLE_K",
    "CandidateIndex",
    "Fingerprint",
    "InMemoryCandidateIndex",
    "Match",
    "MinHash",
    "NearDupDetector",
    "NearDupParams",
    "Verdict",
    "band_keys",
    "fingerprint",
    "minhash_of",
    "normalize_text",
    "shingles",
    "signature_bytes",
    "signature_from_bytes",
    "title_key",
    "titles_match",
    "tokens",
    "verify",
]

MIN_WORDS = 50  # below this many normalised words a text is never claimed as a near-duplicate

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Lowercase, NFKC, unify quotes/dashes, drop punctuation (apostrophes joined), collapse spaces."""
    text = replace_chars(unicodedata.normalize("NFKC", text), QUOTE_PAIRS).lower()
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)  # don't -> dont, assad's -> assads
    return " ".join(_TOKEN_RE.findall(text))


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text``."""
    return normalize_text(text).split()


def shingles(text: str, k: int = SHINGLE_K) -> set[str]:
    """Set of k-word shingles of the normalised text (a short text yields one shingle)."""
    words = tokens(text)
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


@dataclass(frozen=True)
class NearDupParams:
    """Verification thresholds (tuned on ECB+ train variants, seeds and same-event negatives)."""

    k: int = SHINGLE_K
    min_words: int = MIN_WORDS  # both texts need this many words for a near-dup claim
    jaccard_threshold: float = 0.35  # whole-text copies (wire copies, edits, reordering)
    containment_threshold: float = 0.65  # truncated copies / added boilerplate
    containment_min_shingles: int = 48  # the shorter text needs this many distinct shingles
    containment_min_ratio: float = 0.20  # shorter/longer size ratio for containment claims
    max_candidates: int = 200  # verify at most this many candidates (earliest first)


@dataclass(frozen=True)
class Verdict:
    is_duplicate: bool
    score: float
    threshold: float
    method: str  # 'jaccard', 'containment', 'too-short', 'empty', 'template'
    jaccard: float = 0.0
    containment: float = 0.0


def _verify_sets(
    a: set[str], b: set[str], n_words_a: int, n_words_b: int, p: NearDupParams
) -> Verdict:
    if not a or not b:
        return Verdict(False, 0.0, p.jaccard_threshold, "empty")
    inter = len(a & b)
    union = len(a) + len(b) - inter
    jac = inter / union
    small, large = min(len(a), len(b)), max(len(a), len(b))
    cont = inter / small
    if min(n_words_a, n_words_b) < p.min_words:
        return Verdict(False, jac, p.jaccard_threshold, "too-short", jac, cont)
    if jac >= p.jaccard_threshold:
        return Verdict(True, jac, p.jaccard_threshold, "jaccard", jac, cont)
    if (
        small >= p.containment_min_shingles
        and small / large >= p.containment_min_ratio
        and cont >= p.containment_threshold
    ):
        return Verdict(True, cont, p.containment_threshold, "containment", jac, cont)
    # not a duplicate: report the measure closest to its threshold
    if cont / p.containment_threshold > jac / p.jaccard_threshold:
        return Verdict(False, cont, p.containment_threshold, "containment", jac, cont)
    return Verdict(False, jac, p.jaccard_threshold, "jaccard", jac, cont)


def verify(text_a: str, text_b: str, params: NearDupParams | None = None) -> Verdict:
    """Decide whether two texts are near-duplicates on their exact shingle sets (and are not
    two instances of one template: :func:`template_instances`)."""
    p = params or NearDupParams()
    wa, wb = tokens(text_a), tokens(text_b)
    verdict = _verify_sets(_shingle_words(wa, p.k), _shingle_words(wb, p.k), len(wa), len(wb), p)
    return _unless_template(verdict, text_a, text_b)


# A template filled twice: at least this many short spans where one text has names or numbers
# and the other other names or numbers, one of them a name ("Leeds" / "York").
TEMPLATE_SUBSTITUTIONS = 3
# ... with this share of the longer text's words aligned, in order, with the other's
TEMPLATE_ALIGNED_SHARE = 0.8
_FACT_TOKEN_RE = re.compile(r"[^\W_]+(?:[.:,’'][^\W_]+)*")


def template_instances(text_a: str, text_b: str) -> bool:
    """Whether two texts are one template filled with other facts: a weather report for Leeds
    and one for York, earnings of two companies, the same paragraphs around other numbers.
    Told by aligning their words: the spans where they differ are short swaps of names and
    numbers, at least :data:`TEMPLATE_SUBSTITUTIONS` of them and one of a name. A copy edited
    by a paper differs by words, added or cut sentences, one updated figure."""
    a, b = (
        _FACT_TOKEN_RE.findall(replace_chars(unicodedata.normalize("NFKC", t), QUOTE_PAIRS))
        for t in (text_a, text_b)
    )
    matcher = SequenceMatcher(None, [t.lower() for t in a], [t.lower() for t in b], autojunk=False)
    swaps, names = 0, 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 > 3 or j2 - j1 > 3:
            continue
        seg_a, seg_b = a[i1:i2], b[j1:j2]
        if not all(t[0].isupper() or any(c.isdigit() for c in t) for t in seg_a + seg_b):
            continue
        number = _numbers(seg_a) != _numbers(seg_b) and bool(_numbers(seg_a) and _numbers(seg_b))
        name = _other_name(seg_a, seg_b)
        if number or name:
            swaps += 1
            names += name
    if swaps < TEMPLATE_SUBSTITUTIONS or not names:
        return False
    # one template: the same words in the same order around the swaps (a copy whose
    # paragraphs were moved aligns its box scores with other box scores)
    aligned = sum(size for _, _, size in matcher.get_matching_blocks())
    return aligned >= TEMPLATE_ALIGNED_SHARE * max(len(a), len(b))


def _numbers(tokens: list[str]) -> list[int]:
    """The values written in ``tokens`` ("07" and "7" are one)."""
    return [int(n) for t in tokens for n in re.findall(r"\d+", t)]


def _other_name(seg_a: list[str], seg_b: list[str]) -> bool:
    """Whether two spans name different things: capitalised words on both sides that are not
    spellings of one another ("Lt"/"Lieutenant", "Advisors"/"Advisers", "Raite"/"Rait")."""
    wa, wb = (
        " ".join(
            t for t in seg if t[0].isupper() and t.isalpha() and t.lower() not in _PRONOUNS
        ).lower()
        for seg in (seg_a, seg_b)
    )
    if not wa or not wb or _abbreviates(wa, wb) or _abbreviates(wb, wa):
        return False
    return SequenceMatcher(None, wa, wb).ratio() < 0.6


# capitalised at the start of a sentence, not names
_PRONOUNS = frozenset(
    {"he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "our", "the"}
    | {"a", "an", "this", "that"}
)


def _abbreviates(short: str, long: str) -> bool:
    """Whether ``short`` is ``long`` shortened: its letters in order, the first the same
    ("lt" / "lieutenant", "jul" / "july")."""
    if len(short) > len(long) or short[:1] != long[:1]:
        return False
    rest = iter(long)
    return all(c in rest for c in short)


def _unless_template(verdict: Verdict, text_a: str, text_b: str) -> Verdict:
    # a template filled twice differs in a word of every sentence or so (Jaccard 0.5-0.6 on
    # weather reports and earnings notes): nearly identical texts are not looked at
    if verdict.is_duplicate and verdict.jaccard < 0.9 and template_instances(text_a, text_b):
        return Verdict(
            False, verdict.score, verdict.threshold, "template", verdict.jaccard,
            verdict.containment,
        )  # fmt: skip
    return verdict


def _shingle_words(words: list[str], k: int) -> set[str]:
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


_TITLE_DECOR = re.compile(r"\s+[-|\u2013\u2014:]\s+[^-|\u2013\u2014:]{2,40}$")


def title_key(title: str | None) -> str:
    """Normalised title for the 'same title within one source over a few days' rule.

    Lowercased, punctuation and quote styles removed, a trailing " | Site Name" / " - Site"
    suffix dropped, whitespace collapsed. Empty string when nothing meaningful remains.
    """
    if not title:
        return ""
    t = replace_chars(unicodedata.normalize("NFKC", title), QUOTE_PAIRS).strip()
    stripped = _TITLE_DECOR.sub("", t)
    if len(tokens(stripped)) >= 3:  # keep the suffix when it is most of the title
        t = stripped
    return normalize_text(t)


def titles_match(
    title_a: str | None,
    title_b: str | None,
    source_a: Any = None,
    source_b: Any = None,
    published_a: Any = None,
    published_b: Any = None,
    *,
    max_days: float = 3.0,
    min_words: int = 4,
) -> bool:
    """True if two articles of the SAME source have the same normalised title within ``max_days``.

    Titles shorter than ``min_words`` words (e.g. "Live updates", "Briefing") never match.
    Missing dates are treated as compatible; a missing source never matches.
    """
    if source_a is None or source_b is None or source_a != source_b:
        return False
    ka, kb = title_key(title_a), title_key(title_b)
    if not ka or ka != kb or len(ka.split()) < min_words:
        return False
    if published_a is not None and published_b is not None:
        delta = abs((published_a - published_b).total_seconds())
        if delta > max_days * 86400:
            return False
    return True


class CandidateIndex(Protocol):
    """LSH band index (Postgres: ``minhash_bands(band, hash, article_id)``)."""

    def candidates(self, keys: list[tuple[int, int]]) -> set[int]:
        """Ids of items having at least one of ``keys``."""
        ...

    def add(self, item_id: int, keys: Iterable[tuple[int, int]]) -> None:
        """Register ``item_id`` under ``keys``."""
        ...


class InMemoryCandidateIndex:
    """Dictionary-backed :class:`CandidateIndex`."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, int], set[int]] = {}

    def candidates(self, keys: list[tuple[int, int]]) -> set[int]:
        out: set[int] = set()
        for key in keys:
            bucket = self._buckets.get((int(key[0]), int(key[1])))
            if bucket:
                out |= bucket
        return out

    def add(self, item_id: int, keys: Iterable[tuple[int, int]]) -> None:
        for key in keys:
            self._buckets.setdefault((int(key[0]), int(key[1])), set()).add(item_id)

    def __len__(self) -> int:
        return len({i for b in self._buckets.values() for i in b})


@dataclass
class Fingerprint:
    """What to persist for an article: ``signature`` -> ``articles.minhash``,
    ``keys`` -> ``minhash_bands`` rows. ``eligible`` is False for texts below the minimum length
    (store them anyway: they can still be *originals* of nothing, and are skipped as queries)."""

    minhash: MinHash
    keys: list[tuple[int, int]]
    n_words: int
    eligible: bool
    text: str = field(repr=False)  # the text fingerprinted (the same object as the article's)
    k: int = SHINGLE_K

    @property
    def signature(self) -> bytes:
        return signature_bytes(self.minhash)

    @cached_property
    def shingles(self) -> set[str]:
        """The text's k-word shingles, made when a candidate is verified: most articles have
        no candidate, and a set of ~800 strings costs as much to make and to send from a
        worker process as to remake from the text (which the worker sends anyway)."""
        return _shingle_words(tokens(self.text), self.k)


def fingerprint(text: str, params: NearDupParams | None = None) -> Fingerprint:
    """MinHash and LSH band keys of ``text`` (its shingles are made when first asked for)."""
    p = params or NearDupParams()
    words = tokens(text)
    mh = minhash_of_words(words, p.k)
    return Fingerprint(mh, band_keys(mh), len(words), len(words) >= p.min_words, text, p.k)


@dataclass(frozen=True)
class Match:
    original_id: int
    verdict: Verdict
    candidates: int  # how many candidates the index returned


TextLookup = Callable[[list[int]], Mapping[int, str]]


class NearDupDetector:
    """Find the verified original of a text among indexed items.

    ``texts(ids) -> {id: text}`` fetches stored texts in one batch (Postgres:
    ``SELECT id, text FROM articles WHERE id = ANY(%s)``); ``order_key(id)`` returns a sortable
    key, e.g. ``(published_at, id)``; default: the id. Among verified candidates the one with the
    smallest ordering key is the original (deterministic).
    """

    def __init__(
        self,
        index: CandidateIndex,
        texts: TextLookup,
        order_key: Callable[[int], Any] | None = None,
        params: NearDupParams | None = None,
    ) -> None:
        self.index = index
        self.texts = texts
        self.order_key = order_key or (lambda i: i)
        self.params = params or NearDupParams()

    def find(
        self,
        text: str,
        fp: Fingerprint | None = None,
        exclude: Iterable[int] = (),
    ) -> Match | None:
        """Best verified original of ``text``, or None."""
        p = self.params
        fp = fp or fingerprint(text, p)
        if not fp.eligible:
            return None
        cands = self.index.candidates(fp.keys) - set(exclude)
        if not cands:
            return None
        ordered = sorted(cands, key=lambda i: (self.order_key(i), i))[: p.max_candidates]
        stored = self.texts(ordered)
        best: tuple[Any, int, Verdict] | None = None
        for cid in ordered:
            other = stored.get(cid)
            if other is None:
                continue
            ow = tokens(other)
            verdict = _verify_sets(fp.shingles, _shingle_words(ow, p.k), fp.n_words, len(ow), p)
            verdict = _unless_template(verdict, text, other)
            if verdict.is_duplicate:
                best = (self.order_key(cid), cid, verdict)
                break  # candidates are sorted: the first verified one is the earliest
        if best is None:
            return None
        return Match(best[1], best[2], len(cands))

    def add(self, item_id: int, fp: Fingerprint) -> None:
        """Index an accepted (non-duplicate) article."""
        self.index.add(item_id, fp.keys)
