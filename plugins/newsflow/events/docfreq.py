"""Document frequencies over feature keys, and the IDF-weighted sparse vectors they give.

IDF comes from incremental document frequencies over all feature keys (``t:word``, ``e:name``,
``n:fact``), updated with every article before it is assigned and persisted by the caller
(``DocFreq.to_dict()`` or the ``dirty`` deltas). Incremental DF was chosen over a shipped
corpus: no corpus of news vocabulary ships with the dependencies, and the live stream's own
statistics track the vocabulary of the news being clustered. Early on (few documents) IDF is
flat; stop words are removed by a built-in list, so this degrades gracefully.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray


class LazyCounts(dict[str, int]):
    """Document frequencies read from storage on first use, in bulk where the caller knows
    which keys it needs (:meth:`prefetch`), one by one otherwise. Keeps a clusterer's cost
    independent of the size of the whole vocabulary: only the keys it meets are read."""

    def __init__(self, loader: Callable[[list[str]], Mapping[str, int]]) -> None:
        super().__init__()
        self.loader = loader
        self.known: set[str] = set()

    def prefetch(self, keys: Iterable[str]) -> None:
        known = self.known
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            for k, v in self.loader(missing).items():
                dict.__setitem__(self, k, int(v))
            self.known.update(missing)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.known:
            self.prefetch([key])
        return dict.get(self, key, default)

    def __getitem__(self, key: str) -> int:
        if key not in self.known:
            self.prefetch([key])
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key not in self.known:
            self.prefetch([key])
        return dict.__contains__(self, key)

    def __setitem__(self, key: str, value: int) -> None:
        self.known.add(key)
        dict.__setitem__(self, key, value)


class DocFreq:
    """Incremental document frequencies over feature keys (``t:``, ``e:``, ``n:`` prefixes).

    Persist with :meth:`to_dict` / :meth:`from_dict`, or incrementally: :attr:`dirty` holds the
    keys changed since the last :meth:`clear_dirty` (upsert ``df`` for those and ``n_docs``).
    """

    def __init__(self, df: Mapping[str, int] | None = None, n_docs: int = 0) -> None:
        self.df: dict[str, int] = dict(df or {})
        self.n_docs = n_docs
        self.dirty: set[str] = set()
        # Vectorised IDF: keys get dense ids on first use; log(df + 1) per id, kept current.
        self.key_id: dict[str, int] = {}
        self._log_df: NDArray[np.float64] = np.zeros(1024)

    @classmethod
    def lazy(cls, loader: Callable[[list[str]], Mapping[str, int]], n_docs: int) -> DocFreq:
        """Frequencies read through ``loader`` as keys are met (see :class:`LazyCounts`)."""
        docfreq = cls(None, n_docs)
        docfreq.df = LazyCounts(loader)
        return docfreq

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the frequencies of ``keys`` in one go (lazy frequencies only)."""
        if isinstance(self.df, LazyCounts):
            self.df.prefetch(keys)

    def update(self, keys: Iterable[str]) -> None:
        """Count one document containing ``keys`` (a set: each key once)."""
        keys = set(keys)
        self.prefetch(keys)
        self.n_docs += 1
        ids = self.key_id
        for k in keys:
            n = self.df[k] = self.df.get(k, 0) + 1
            self.dirty.add(k)
            i = ids.get(k)
            if i is not None:
                self._log_df[i] = math.log(n + 1)

    def remove(self, keys: Iterable[str]) -> None:
        """Undo :meth:`update` for one document (it left the clustered corpus)."""
        keys = set(keys)
        self.prefetch(keys)
        self.n_docs = max(0, self.n_docs - 1)
        for k in keys:
            if self.df.get(k, 0) > 0:
                n = self.df[k] = self.df[k] - 1
                self.dirty.add(k)
                i = self.key_id.get(k)
                if i is not None:
                    self._log_df[i] = math.log(n + 1)

    def ids(self, prefix: str, keys: Iterable[str]) -> NDArray[np.int64]:
        """Dense ids of ``prefix + key`` for each key (assigned on first use)."""
        table, df = self.key_id, self.df
        fulls = [prefix + k for k in keys]
        ids = [table.get(full, -1) for full in fulls]
        if -1 in ids:  # keys met for the first time: their frequencies in one read
            new = [full for full, i in zip(fulls, ids, strict=True) if i < 0]
            if isinstance(df, LazyCounts):
                df.prefetch(new)
            for n, full in enumerate(fulls):
                if ids[n] < 0:
                    i = table.get(full)  # a key given twice
                    if i is None:
                        i = table[full] = len(table)
                        if i >= len(self._log_df):
                            grown = np.zeros(len(self._log_df))
                            self._log_df = np.concatenate([self._log_df, grown])
                        self._log_df[i] = math.log(df.get(full, 0) + 1)
                    ids[n] = i
        return np.array(ids, dtype=np.int64)

    def log_df(self) -> NDArray[np.float64]:
        """log(df + 1) by key id (see :meth:`ids`); IDF = log(n_docs + 1) + 1 - log_df."""
        return self._log_df

    def idf(self, key: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(key, 0) + 1)) + 1.0

    def __getitem__(self, key: str) -> int:
        return self.df.get(key, 0)

    def __contains__(self, key: object) -> bool:
        return key in self.df

    def __len__(self) -> int:
        return len(self.df)

    def clear_dirty(self) -> None:
        self.dirty.clear()

    def to_dict(self) -> dict[str, Any]:
        return {"n_docs": self.n_docs, "df": dict(self.df)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocFreq:
        return cls(d.get("df", {}), int(d.get("n_docs", 0)))


def norm(vec: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values()))


class IdfCache:
    """Memoised IDF lookups during one assignment (DF does not change meanwhile)."""

    __slots__ = ("_channels", "_df", "_log_n1")

    def __init__(self, docfreq: DocFreq) -> None:
        self._df = docfreq.df
        self._log_n1 = math.log(docfreq.n_docs + 1) + 1.0
        self._channels: dict[str, dict[str, float]] = {}

    def __call__(self, key: str) -> float:
        prefix, _, bare = key.partition(":")
        return self.get(prefix + ":", bare)

    def get(self, prefix: str, key: str) -> float:
        cache = self._channels.setdefault(prefix, {})
        v = cache.get(key)
        if v is None:
            v = cache[key] = self._log_n1 - math.log(self._df.get(prefix + key, 0) + 1)
        return v

    def weigh(self, vec: Mapping[str, float], prefix: str) -> tuple[dict[str, float], float]:
        """IDF-weighted copy of ``vec`` and its L2 norm."""
        cache = self._channels.setdefault(prefix, {})
        df, log_n1, log = self._df, self._log_n1, math.log
        out = {}
        n2 = 0.0
        for k, v in vec.items():
            w = cache.get(k)
            if w is None:
                w = cache[k] = log_n1 - log(df.get(prefix + k, 0) + 1)
            x = v * w
            out[k] = x
            n2 += x * x
        return out, math.sqrt(n2)


def cosine(
    a: Mapping[str, float], b: Mapping[str, float], idf: DocFreq | IdfCache, prefix: str
) -> float:
    if not a or not b:
        return 0.0
    w = idf if isinstance(idf, IdfCache) else IdfCache(idf)
    wa, na = w.weigh(a, prefix)
    if na == 0:
        return 0.0
    wb, nb = w.weigh(b, prefix)
    if nb == 0:
        return 0.0
    if len(wa) > len(wb):
        wa, wb = wb, wa
    dot = 0.0
    for k, x in wa.items():
        y = wb.get(k)
        if y is not None:
            dot += x * y
    return dot / (na * nb)


def unit(vec: Mapping[str, float]) -> dict[str, float]:
    n = norm(vec)
    return {k: v / n for k, v in vec.items()} if n else {}


def add_into(target: dict[str, float], vec: Mapping[str, float]) -> None:
    for k, v in vec.items():
        target[k] = target.get(k, 0.0) + v


def truncate(vec: dict[str, float], n: int, idf: DocFreq, prefix: str) -> dict[str, float]:
    """The ``n`` entries of ``vec`` with the largest IDF-weighted values (ties: by key)."""
    if len(vec) <= n:
        return vec
    get, n1, log = idf.df.get, idf.n_docs + 1, math.log
    # the weight of DocFreq.idf, inlined: this runs on every article an event absorbs
    scored = sorted((-v * (log(n1 / (get(prefix + k, 0) + 1)) + 1.0), k) for k, v in vec.items())
    return {k: vec[k] for _, k in scored[:n]}
