"""Duplicate decisions against the whole history, not just the batch.

Order of rules, first match wins:
1. ``url``: same canonical URL as a stored article. A re-fetched *page* whose text changed is a
   new version of that article instead (``update``).
2. ``content-hash``: same normalised text (sha256) as a stored article.
3. ``near-dup``: MinHash LSH candidates from ``minhash_bands`` (an index query, whose cost does not
   grow with the number of stored articles), each verified on exact shingle sets.
4. ``title``: the same normalised title from the same source within a few days.

Candidates in a batch are decided one by one in publication order (then raw document id, item),
and each new article joins the in-batch indexes before the next is decided; so the original is the
earliest published one and a re-run decides the same way. Callers hold the load lock (db.lock(conn, "load")).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from newsflow import db, neardup
from newsflow.db import Conn
from newsflow.records import Normalized
from newsflow.states import DecisionKind, DupMethod

TITLE_WINDOW = timedelta(days=3)


@dataclass
class Candidate:
    raw_document_id: int
    item_no: int
    origin: str
    source_name: str | None
    article: Normalized
    # the text's MinHash, when computed beforehand (outside the load lock, on any core)
    fingerprint: neardup.Fingerprint | None = None


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    duplicate_of: int | None = None  # the stored article it is a copy (or version) of
    method: DupMethod | None = None
    score: float = 1.0
    threshold: float = 1.0
    signature: bytes | None = None
    band_keys: list[tuple[int, int]] = field(default_factory=list)


def _order(published_at: datetime | None, article_id: int) -> tuple[Any, ...]:
    """Originals are the earliest published (unknown dates last), ties by id."""
    return (published_at is None, published_at or datetime.max.replace(tzinfo=UTC), article_id)


class PostgresCandidateIndex:
    """``neardup.CandidateIndex`` over ``news.minhash_bands`` plus this batch's additions."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.batch: dict[tuple[int, int], set[int]] = {}

    def candidates(self, keys: list[tuple[int, int]]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            found |= self.batch.get(key, set())
        if keys:
            rows = db.fetch_all(
                self.conn,
                "dedupe/band_candidates",
                {"bands": [k[0] for k in keys], "hashes": [k[1] for k in keys]},
            )
            found |= {int(r["article_id"]) for r in rows}
        return found

    def add(self, item_id: int, keys: Iterable[tuple[int, int]]) -> None:
        for key in keys:
            self.batch.setdefault(key, set()).add(item_id)


class Deduplicator:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.by_url: dict[str, tuple[int, str]] = {}  # canonical url -> (article id, hash)
        self.by_hash: dict[str, int] = {}
        self.texts: dict[int, str] = {}
        self.order: dict[int, tuple[Any, ...]] = {}
        # (source, title key) -> [(published_at, article id)] of this batch, in arrival order
        self.titles: dict[tuple[str | None, str], list[tuple[datetime | None, int]]] = {}
        self.index = PostgresCandidateIndex(conn)
        self.detector = neardup.NearDupDetector(
            self.index, texts=self._texts_of, order_key=self._order_key
        )

    # --- lookups for the near-dup detector -------------------------------------------------
    def _texts_of(self, ids: list[int]) -> dict[int, str]:
        missing = [i for i in ids if i not in self.texts]
        if missing:
            self._fetch(missing)
        return {i: self.texts[i] for i in ids if i in self.texts}

    def _fetch(self, ids: list[int]) -> None:
        rows = db.fetch_all(self.conn, "dedupe/article_texts", {"ids": ids})
        for row in rows:
            self.texts[int(row["id"])] = row["text"]
            self.order[int(row["id"])] = _order(row["published_at"], int(row["id"]))

    def _order_key(self, article_id: int) -> tuple[Any, ...]:
        if article_id not in self.order:
            self._fetch([article_id])
        return self.order.get(article_id, _order(None, article_id))

    # --- decisions -------------------------------------------------------------------------
    def decide(self, cand: Candidate) -> Decision:
        art = cand.article
        fp = cand.fingerprint or neardup.fingerprint(art.text)
        base: dict[str, Any] = {"signature": fp.signature, "band_keys": fp.keys}

        if art.canonical_url:
            hit = self._url_hit(art.canonical_url)
            if hit is not None:
                article_id, stored_hash = hit
                if stored_hash != art.content_hash and cand.origin == "page":
                    return Decision(
                        DecisionKind.UPDATE, duplicate_of=article_id, method=DupMethod.URL, **base
                    )
                return self._duplicate(cand, article_id, DupMethod.URL, 1.0, 1.0, base)
        hit_id = self._hash_hit(art.content_hash)
        if hit_id is not None:
            return self._duplicate(cand, hit_id, DupMethod.CONTENT_HASH, 1.0, 1.0, base)
        match = self.detector.find(art.text, fp)
        if match is not None:
            v = match.verdict
            return self._duplicate(
                cand, match.original_id, DupMethod.NEAR_DUP, v.score, v.threshold, base
            )
        title_hit = self._title_hit(cand)
        if title_hit is not None:
            return self._duplicate(cand, title_hit, DupMethod.TITLE, 1.0, 1.0, base)
        return Decision(DecisionKind.NEW, **base)

    def _duplicate(
        self,
        cand: Candidate,
        original: int,
        method: DupMethod,
        score: float,
        threshold: float,
        base: dict[str, Any],
    ) -> Decision:
        """A duplicate of ``original`` -- unless this copy was published earlier, in which case
        it becomes the original ('promote'): the article keeps its id and takes this copy's
        content, and the copy it held moves to the duplicate ledger. So the original is the
        earliest published whatever order documents arrive in (ties: the one stored first)."""
        mine = _order(cand.article.published_at, 0)[:2]
        theirs = self._order_key(original)[:2]
        if mine < theirs:
            return Decision(DecisionKind.PROMOTE, original, method, score, threshold, **base)
        return Decision(DecisionKind.DUPLICATE, original, method, score, threshold, **base)

    def register(self, article_id: int, cand: Candidate, decision: Decision) -> None:
        art = cand.article
        if art.canonical_url:
            self.by_url[art.canonical_url] = (article_id, art.content_hash)
        self.by_hash[art.content_hash] = article_id
        self.texts[article_id] = art.text
        self.order[article_id] = _order(art.published_at, article_id)
        key = (cand.source_name, neardup.title_key(art.title))
        self.titles.setdefault(key, []).append((art.published_at, article_id))
        if decision.band_keys:
            self.index.add(article_id, decision.band_keys)

    def _url_hit(self, url: str) -> tuple[int, str] | None:
        if url in self.by_url:
            return self.by_url[url]
        row = db.fetch_one(self.conn, "dedupe/by_canonical_url", {"url": url})
        return (int(row["id"]), row["content_hash"]) if row else None

    def _hash_hit(self, content_hash: str) -> int | None:
        if content_hash in self.by_hash:
            return self.by_hash[content_hash]
        return content_hash_owner(self.conn, content_hash)

    def _title_hit(self, cand: Candidate) -> int | None:
        art = cand.article
        if not cand.source_name or art.title_derived or art.published_at is None:
            return None
        key = neardup.title_key(art.title)
        if not key:
            return None
        for published, article_id in self.titles.get((cand.source_name, key), ()):
            if published is not None and abs(published - art.published_at) <= TITLE_WINDOW:
                return article_id
        rows = db.fetch_all(
            self.conn,
            "dedupe/titles_near",
            {
                "source": cand.source_name,
                "start": art.published_at - TITLE_WINDOW,
                "end": art.published_at + TITLE_WINDOW,
                "key": key,
            },
        )
        for row in rows:
            stored = row["title_key"]
            if (stored if stored is not None else neardup.title_key(row["title"])) == key:
                return int(row["id"])
        return None


def content_hash_owner(conn: Conn, content_hash: str, exclude: int | None = None) -> int | None:
    """The stored article whose normalised text has this hash (other than ``exclude``)."""
    row = db.fetch_one(
        conn, "dedupe/by_content_hash", {"content_hash": content_hash, "exclude": exclude}
    )
    return int(row["id"]) if row else None
