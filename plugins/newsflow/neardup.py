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

import hashlib
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

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

NUM_PERM = 128
SEED = 20240611  # fixed: signatures stored in the database must stay comparable
SHINGLE_K = 3
BANDS = 42
ROWS = 3
MIN_WORDS = 50  # below this many normalised words a text is never claimed as a near-duplicate

_QUOTES = str.maketrans(
    {
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
)
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Lowercase, NFKC, unify quotes/dashes, drop punctuation (apostrophes joined), collapse spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
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


# --------------------------------------------------------------------------------------------
# MinHash (numpy; no datasketch, whose package import pulls in scipy)
#
# 1. Each word gets a 64-bit hash (blake2b, cached per process); a shingle's 32-bit hash mixes the
#    hashes of its words by position (odd multipliers, murmur3's 64-bit finaliser, high 32 bits).
#    Word hashes are computed once per distinct word, so a text of n words costs n dictionary
#    lookups plus a few numpy operations, not n string hashes.
# 2. Permutation i of a 32-bit shingle hash x is ``((a_i * x + b_i) mod 2**64) >> 32`` with a_i
#    odd and b_i 64-bit (Dietzfelbinger's multiply-add-shift: strongly universal for 32-bit keys,
#    uint64 arithmetic with no overflow handling). The signature is the per-permutation minimum
#    over all shingles, computed as one (shingles x NUM_PERM) numpy array.
# 3. a_i and b_i come from blake2b(SEED, i), not from an RNG whose stream could change between
#    numpy versions: stored signatures stay comparable.

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_FMIX1 = _U64(0xFF51AFD7ED558CCD)
_FMIX2 = _U64(0xC4CEB9FE1A85EC53)


def _seeded_u64(label: bytes, n: int) -> np.ndarray:
    out = [
        int.from_bytes(
            hashlib.blake2b(
                label + i.to_bytes(4, "little"), digest_size=8, key=SEED.to_bytes(8, "little")
            ).digest(),
            "little",
        )
        for i in range(n)
    ]
    return np.array(out, dtype=np.uint64)


_PERM_A = _seeded_u64(b"perm-a", NUM_PERM) | _U64(1)  # odd multipliers
_PERM_B = _seeded_u64(b"perm-b", NUM_PERM)
_POS_MUL = _seeded_u64(b"shingle-pos", 16) | _U64(1)  # one odd multiplier per word position
_EMPTY_SLOT = _U64(0x9E3779B97F4A7C15)  # stands for the missing words of a short shingle

_WORD_HASHES: dict[str, int] = {}
_WORD_CACHE_MAX = 500_000


def _word_hash(word: str) -> int:
    h = _WORD_HASHES.get(word)
    if h is None:
        if len(_WORD_HASHES) >= _WORD_CACHE_MAX:
            _WORD_HASHES.clear()
        h = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8"), digest_size=8, person=b"nf-word").digest(),
            "little",
        )
        _WORD_HASHES[word] = h
    return h


def _word_hashes(words: Sequence[str]) -> np.ndarray:
    get = _WORD_HASHES.get
    return np.fromiter(
        (h if (h := get(w)) is not None else _word_hash(w) for w in words),
        dtype=np.uint64,
        count=len(words),
    )


def _fmix_high32(v: np.ndarray) -> np.ndarray:
    """murmur3 fmix64, then the high 32 bits (as uint64)."""
    v = v ^ (v >> _U64(33))
    v = v * _FMIX1
    v = v ^ (v >> _U64(33))
    v = v * _FMIX2
    v = v ^ (v >> _U64(33))
    return v >> _U64(32)


def _shingle_hashes_of_words(words: Sequence[str], k: int) -> np.ndarray:
    """32-bit hashes (uint64 array) of the k-word shingles of ``words`` (as :func:`shingles`)."""
    if not words:
        return np.empty(0, dtype=np.uint64)
    wh = _word_hashes(words)
    if len(wh) < k:  # one short shingle: pad the missing positions
        wh = np.concatenate([wh, np.full(k - len(wh), _EMPTY_SLOT, dtype=np.uint64)])
    n = len(wh) - k + 1
    acc = wh[:n] * _POS_MUL[0]
    for j in range(1, k):
        acc = acc + wh[j : j + n] * _POS_MUL[j % len(_POS_MUL)]
    return _fmix_high32(acc)


def _shingle_hashes(shingle_set: Iterable[str], k: int = SHINGLE_K) -> np.ndarray:
    """32-bit hashes of shingle strings: the values :func:`fingerprint` computes for them."""
    full: list[str] = []  # words of the k-word shingles, concatenated
    short: list[np.ndarray] = []
    for sh in shingle_set:
        words = sh.split(" ")
        if len(words) == k:
            full.extend(words)
        else:  # the single shingle of a text shorter than k words (or another k)
            short.append(_shingle_hashes_of_words(words, max(k, len(words)))[:1])
    parts = short
    if full:
        wh = _word_hashes(full).reshape(-1, k)
        acc = wh[:, 0] * _POS_MUL[0]
        for j in range(1, k):
            acc = acc + wh[:, j] * _POS_MUL[j % len(_POS_MUL)]
        parts = [_fmix_high32(acc), *short]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def _signature(hashes32: np.ndarray) -> np.ndarray:
    """MinHash signature (uint32 x NUM_PERM) of 32-bit shingle hashes; all-ones when empty."""
    if hashes32.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    sig = np.full(NUM_PERM, _MASK64, dtype=np.uint64)
    # bounded blocks: at most ~1M uint64 (8 MB) in flight for very long texts. The shift by 32
    # is monotone, so it is applied to the minima only.
    step = max(1, (1 << 20) // NUM_PERM)
    for start in range(0, hashes32.size, step):
        block = hashes32[start : start + step, None] * _PERM_A  # wraps mod 2**64
        block += _PERM_B
        np.minimum(sig, block.min(axis=0), out=sig)
    return (sig >> _U64(32)).astype(np.uint32)


class MinHash:
    """A MinHash signature: ``hashvalues`` is a uint32 array of ``NUM_PERM`` minima."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray | Sequence[int]) -> None:
        hv = np.asarray(hashvalues)
        if hv.shape != (NUM_PERM,):
            raise ValueError(f"a signature has {NUM_PERM} values, got shape {hv.shape}")
        if hv.size and (hv.min() < 0 or hv.max() > 0xFFFFFFFF):
            raise ValueError("hash value out of uint32 range")
        self.hashvalues = hv.astype(np.uint32)

    def jaccard(self, other: MinHash) -> float:
        """Estimated Jaccard similarity (fraction of equal minima)."""
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / NUM_PERM

    def digest(self) -> np.ndarray:
        return self.hashvalues.copy()

    def __len__(self) -> int:
        return NUM_PERM

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinHash) and bool(
            np.array_equal(self.hashvalues, other.hashvalues)
        )

    def __hash__(self) -> int:
        return hash(self.hashvalues.tobytes())

    def __repr__(self) -> str:
        return f"MinHash({self.hashvalues[:4].tolist()}...)"


def minhash_of(shingle_set: Iterable[str], k: int = SHINGLE_K) -> MinHash:
    """MinHash (``NUM_PERM`` permutations, fixed seed) of a set of ``k``-word shingles."""
    return MinHash(_signature(_shingle_hashes(shingle_set, k)))


def signature_bytes(mh: MinHash | np.ndarray) -> bytes:
    """Signature as little-endian uint32 x NUM_PERM (512 bytes) for ``articles.minhash``."""
    hv = mh.hashvalues if isinstance(mh, MinHash) else MinHash(mh).hashvalues
    return hv.astype("<u4").tobytes()


def signature_from_bytes(b: bytes) -> MinHash:
    """Inverse of :func:`signature_bytes` (uint32; uint64 input of 8*NUM_PERM bytes also accepted)."""
    b = bytes(b)
    if len(b) == 4 * NUM_PERM:
        hv = np.frombuffer(b, dtype="<u4")
    elif len(b) == 8 * NUM_PERM:
        hv = np.frombuffer(b, dtype="<u8")
    else:
        raise ValueError(f"signature must be {4 * NUM_PERM} or {8 * NUM_PERM} bytes, got {len(b)}")
    return MinHash(hv)


def band_keys(signature: MinHash | bytes | Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
    """LSH keys ``[(band_no, signed 64-bit hash of the band's rows)]`` for ``minhash_bands``."""
    if isinstance(signature, MinHash):
        rows32 = signature.hashvalues.astype("<u4")
    elif isinstance(signature, bytes | bytearray | memoryview):
        rows32 = signature_from_bytes(bytes(signature)).hashvalues.astype("<u4")
    else:
        rows32 = MinHash(np.asarray(list(signature), dtype=np.int64)).hashvalues.astype("<u4")
    raw = rows32.tobytes()
    width = 4 * ROWS
    keys: list[tuple[int, int]] = []
    for band in range(BANDS):
        chunk = raw[band * width : (band + 1) * width]
        digest = hashlib.blake2b(chunk, digest_size=8, person=b"nf-lsh" + bytes([band])).digest()
        keys.append((band, struct.unpack("<q", digest)[0]))
    return keys


# --------------------------------------------------------------------------------------------
# Verification


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
    method: str  # 'jaccard', 'containment', 'too-short', 'empty'
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
    """Decide whether two texts are near-duplicates on their exact shingle sets."""
    p = params or NearDupParams()
    wa, wb = tokens(text_a), tokens(text_b)
    return _verify_sets(_shingle_words(wa, p.k), _shingle_words(wb, p.k), len(wa), len(wb), p)


def _shingle_words(words: list[str], k: int) -> set[str]:
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


# --------------------------------------------------------------------------------------------
# Titles


_TITLE_DECOR = re.compile(r"\s+[-|\u2013\u2014:]\s+[^-|\u2013\u2014:]{2,40}$")


def title_key(title: str | None) -> str:
    """Normalised title for the 'same title within one source over a few days' rule.

    Lowercased, punctuation and quote styles removed, a trailing " | Site Name" / " - Site"
    suffix dropped, whitespace collapsed. Empty string when nothing meaningful remains.
    """
    if not title:
        return ""
    t = unicodedata.normalize("NFKC", title).translate(_QUOTES).strip()
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


# --------------------------------------------------------------------------------------------
# Index and detector


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
    shingles: set[str] = field(repr=False)
    eligible: bool

    @property
    def signature(self) -> bytes:
        return signature_bytes(self.minhash)


def fingerprint(text: str, params: NearDupParams | None = None) -> Fingerprint:
    """Shingles, MinHash and LSH band keys of ``text``."""
    p = params or NearDupParams()
    words = tokens(text)
    sh = _shingle_words(words, p.k)
    mh = MinHash(_signature(_shingle_hashes_of_words(words, p.k)))
    return Fingerprint(mh, band_keys(mh), len(words), sh, len(words) >= p.min_words)


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
            if verdict.is_duplicate:
                best = (self.order_key(cid), cid, verdict)
                break  # candidates are sorted: the first verified one is the earliest
        if best is None:
            return None
        return Match(best[1], best[2], len(cands))

    def add(self, item_id: int, fp: Fingerprint) -> None:
        """Index an accepted (non-duplicate) article."""
        self.index.add(item_id, fp.keys)
