"""MinHash (numpy; no datasketch, whose package import pulls in scipy)

1. Each word gets a 64-bit hash (blake2b, cached per process); a shingle's 32-bit hash mixes the
   hashes of its words by position (odd multipliers, murmur3's 64-bit finaliser, high 32 bits).
   Word hashes are computed once per distinct word, so a text of n words costs n dictionary
   lookups plus a few numpy operations, not n string hashes.
2. Permutation i of a 32-bit shingle hash x is ``((a_i * x + b_i) mod 2**64) >> 32`` with a_i
   odd and b_i 64-bit (Dietzfelbinger's multiply-add-shift: strongly universal for 32-bit keys,
   uint64 arithmetic with no overflow handling). The signature is the per-permutation minimum
   over all shingles, computed as one (shingles x NUM_PERM) numpy array.
3. a_i and b_i come from blake2b(SEED, i), not from an RNG whose stream could change between
   numpy versions: stored signatures stay comparable.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence

import numpy as np

NUM_PERM = 128
SEED = 20240611  # fixed: signatures stored in the database must stay comparable
SHINGLE_K = 3
BANDS = 42
ROWS = 3

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


def shingle_hashes_of_words(words: Sequence[str], k: int) -> np.ndarray:
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
            short.append(shingle_hashes_of_words(words, max(k, len(words)))[:1])
    parts = short
    if full:
        wh = _word_hashes(full).reshape(-1, k)
        acc = wh[:, 0] * _POS_MUL[0]
        for j in range(1, k):
            acc = acc + wh[:, j] * _POS_MUL[j % len(_POS_MUL)]
        parts = [_fmix_high32(acc), *short]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def signature_of(hashes32: np.ndarray) -> np.ndarray:
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


def minhash_of_words(words: Sequence[str], k: int = SHINGLE_K) -> MinHash:
    """The MinHash of the k-word shingles of ``words`` (normalised tokens)."""
    return MinHash(signature_of(shingle_hashes_of_words(words, k)))


def minhash_of(shingle_set: Iterable[str], k: int = SHINGLE_K) -> MinHash:
    """MinHash (``NUM_PERM`` permutations, fixed seed) of a set of ``k``-word shingles."""
    return MinHash(signature_of(_shingle_hashes(shingle_set, k)))


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
