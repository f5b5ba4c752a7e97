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

The stored side of those lookups is read for the whole batch first (:meth:`Deduplicator.prefetch`,
one statement per rule instead of one per rule and article): while the lock is held only the
batch itself changes the tables, and the in-batch indexes already answer for it. A promotion
rewrites a stored article at once, so it ends the prefetched answers; the lookups go back to
Postgres, one by one, for the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.rows import DictRow

from newsflow import db, neardup
from newsflow.db import Conn
from newsflow.records import Normalized
from newsflow.states import DecisionKind, DupMethod

TITLE_WINDOW = timedelta(days=3)
# The same-title rule also wants the two texts to share some wording: at least this many of
# the MinHash signatures' minima equal. A rewrite of one story keeps names, quotes, phrases
# (3-word shingle Jaccard 0.05: 99% of rewrites pass; 0.02: 73%), while a recurring column
# ("Morning Briefing", "Letters") of another day shares almost none (Jaccard 0.002: 3% pass).
TITLE_MIN_SHARED_MINIMA = 2
# ... and titles of at least this many words: two-word titles name a recurring item
TITLE_MIN_WORDS = 3
# A same-URL document of another origin than a feed page is that URL's article only if it
# shares at least this share of its shingles with it (see Deduplicator._shares_text).
URL_SHARED_CONTAINMENT = 0.2


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
    # the stored article that holds the candidate's canonical URL with other text (the URL is
    # not this article's: it is dropped before the article is stored)
    url_held_by: int | None = None


def _order(published_at: datetime | None, article_id: int) -> tuple[Any, ...]:
    """Originals are the earliest published (unknown dates last), ties by id."""
    return (published_at is None, published_at or datetime.max.replace(tzinfo=UTC), article_id)


def _stored_bands(conn: Conn, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], set[int]]:
    """Stored articles under each LSH band key (every key asked is in the result)."""
    wanted = sorted(set(keys))
    stored: dict[tuple[int, int], set[int]] = {key: set() for key in wanted}
    if wanted:
        rows = db.fetch_all(
            conn,
            "dedupe/band_candidates",
            {"bands": [k[0] for k in wanted], "hashes": [k[1] for k in wanted]},
        )
        for row in rows:
            stored[(int(row["band"]), int(row["hash"]))].add(int(row["article_id"]))
    return stored


def _stored_urls(conn: Conn, urls: Iterable[str]) -> dict[str, tuple[int, str] | None]:
    """(article id, content hash) of the stored article with each canonical URL, or None."""
    stored: dict[str, tuple[int, str] | None] = dict.fromkeys(sorted(set(urls)))
    if stored:
        for row in db.fetch_all(conn, "dedupe/by_canonical_url", {"urls": list(stored)}):
            stored[row["canonical_url"]] = (int(row["id"]), row["content_hash"])
    return stored


def _stored_hashes(conn: Conn, hashes: Iterable[str]) -> dict[str, int | None]:
    """The stored article with each normalised-text hash, or None."""
    stored: dict[str, int | None] = dict.fromkeys(sorted(set(hashes)))
    if stored:
        for row in db.fetch_all(conn, "dedupe/by_content_hashes", {"hashes": list(stored)}):
            stored[row["content_hash"]] = int(row["id"])
    return stored


def _stored_titles(
    conn: Conn, asked: Iterable[tuple[str, str, datetime]]
) -> dict[str, list[DictRow]]:
    """Headlines that may be one of the (source, title key, published at) asked, by source,
    in (published, id) order, each row once; :func:`_in_window` picks one lookup's rows."""
    queries = sorted(set(asked))
    stored: dict[str, list[DictRow]] = {}
    if queries:
        rows = db.fetch_all(
            conn,
            "dedupe/titles_near",
            {
                "sources": [q[0] for q in queries],
                "keys": [q[1] for q in queries],
                "starts": [q[2] - TITLE_WINDOW for q in queries],
                "ends": [q[2] + TITLE_WINDOW for q in queries],
            },
        )
        for row in rows:
            stored.setdefault(row["source"], []).append(row)
    return stored


def _in_window(stored: dict[str, list[DictRow]], query: tuple[str, str, datetime]) -> list[DictRow]:
    """The rows of :func:`_stored_titles` that answer ``query``: its source, its window, its
    key or no stored key (rows from before keys were kept, compared in code)."""
    source, key, published_at = query
    start, end = published_at - TITLE_WINDOW, published_at + TITLE_WINDOW
    return [
        row
        for row in stored.get(source, ())
        if start <= row["published_at"] <= end
        and (row["title_key"] == key or row["title_key"] is None)
    ]


class PostgresCandidateIndex:
    """``neardup.CandidateIndex`` over ``news.minhash_bands`` plus this batch's additions."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.batch: dict[tuple[int, int], set[int]] = {}
        # stored articles per band key, read for the batch (prefetch); keys not in it are asked
        self.stored: dict[tuple[int, int], set[int]] | None = None

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        self.stored = _stored_bands(self.conn, keys)

    def candidates(self, keys: list[tuple[int, int]]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            found |= self.batch.get(key, set())
        known = self.stored
        if known is None or not all(key in known for key in keys):
            known = _stored_bands(self.conn, keys)
        for key in keys:
            found |= known[key]
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
        self.signatures: dict[int, bytes] = {}  # this batch's articles (the title rule)
        self.index = PostgresCandidateIndex(conn)
        self.detector = neardup.NearDupDetector(
            self.index, texts=self._texts_of, order_key=self._order_key
        )
        # the stored side of the URL, hash and title lookups, read for the batch (prefetch);
        # what is not in them is asked one by one, with the same statements
        self.stored_urls: dict[str, tuple[int, str] | None] = {}
        self.stored_hashes: dict[str, int | None] = {}
        self.stored_titles: dict[str, list[DictRow]] = {}
        self.titles_asked: set[tuple[str, str, datetime]] = set()

    # --- the batch's lookups at once -------------------------------------------------------
    def prefetch(self, cands: Iterable[Candidate]) -> None:
        """Read what the batch's decisions will ask of the stored articles, one statement per
        rule. The caller holds the load lock, so nothing but this batch changes them until
        :meth:`forget_prefetched` (a promotion) or the batch is loaded."""
        cands = list(cands)
        urls = [c.article.canonical_url for c in cands if c.article.canonical_url]
        self.stored_urls = _stored_urls(self.conn, urls)
        self.stored_hashes = _stored_hashes(self.conn, (c.article.content_hash for c in cands))
        self.index.prefetch(
            key
            for c in cands
            if c.fingerprint is not None and c.fingerprint.eligible
            for key in c.fingerprint.keys
        )
        self.titles_asked = {t for c in cands if (t := _title_query(c)) is not None}
        self.stored_titles = _stored_titles(self.conn, self.titles_asked)

    def forget_prefetched(self) -> None:
        """A stored article was rewritten (a promotion): the batch's answers may be stale."""
        self.stored_urls, self.stored_hashes, self.stored_titles = {}, {}, {}
        self.titles_asked = set()
        self.index.stored = None

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
            if hit is not None and not (
                hit[1] == art.content_hash
                or cand.origin == "page"
                or self._shares_text(art.text, hit[0])
            ):
                base["url_held_by"] = hit[0]
            elif hit is not None:
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
        title_hit = self._title_hit(cand, fp.signature)
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
        if decision.signature is not None:
            self.signatures[article_id] = decision.signature
        if decision.band_keys:
            self.index.add(article_id, decision.band_keys)

    def _shares_text(self, text: str, article_id: int) -> bool:
        """Whether ``text`` shares wording with the stored article (a fifth of the shorter
        text's shingles): a document of another origin than a feed page that names the same
        URL but shares nothing is another article under a wrong or shared URL (a section page
        as ``canonical``, an export's one URL for every record), not a copy to discard."""
        stored = self._texts_of([article_id]).get(article_id)
        if stored is None:
            return True
        return neardup.verify(text, stored).containment >= URL_SHARED_CONTAINMENT

    def _url_hit(self, url: str) -> tuple[int, str] | None:
        if url in self.by_url:
            return self.by_url[url]
        stored = self.stored_urls if url in self.stored_urls else _stored_urls(self.conn, [url])
        return stored[url]

    def _hash_hit(self, content_hash: str) -> int | None:
        if content_hash in self.by_hash:
            return self.by_hash[content_hash]
        stored = self.stored_hashes
        if content_hash not in stored:
            stored = _stored_hashes(self.conn, [content_hash])
        return stored[content_hash]

    def _title_hit(self, cand: Candidate, signature: bytes) -> int | None:
        query = _title_query(cand)
        if query is None:
            return None
        source, key, published_at = query
        for published, article_id in self.titles.get((source, key), ()):
            if (
                published is not None
                and abs(published - published_at) <= TITLE_WINDOW
                and _share_wording(signature, self.signatures.get(article_id))
            ):
                return article_id
        titles = self.stored_titles
        if query not in self.titles_asked:
            titles = _stored_titles(self.conn, [query])
        for row in _in_window(titles, query):
            stored = row["title_key"]
            same = (stored if stored is not None else neardup.title_key(row["title"])) == key
            if same and _share_wording(signature, row["minhash"]):
                return int(row["id"])
        return None


def _share_wording(signature: bytes, other: bytes | None) -> bool:
    """Whether two texts share some wording (:data:`TITLE_MIN_SHARED_MINIMA` equal MinHash
    minima); a text without a stored signature is given the benefit of the doubt."""
    if other is None:
        return True
    mine, theirs = neardup.signature_from_bytes(signature), neardup.signature_from_bytes(other)
    return int((mine.hashvalues == theirs.hashvalues).sum()) >= TITLE_MIN_SHARED_MINIMA


def _title_query(cand: Candidate) -> tuple[str, str, datetime] | None:
    """(source, title key, published at) for the same-title rule, or None when it does not
    apply (no source, a derived title, no date, a title with no key)."""
    art = cand.article
    if not cand.source_name or art.title_derived or art.published_at is None:
        return None
    key = neardup.title_key(art.title)
    # a title of a few words names a recurring item ("Morning Briefing", "Lottery results",
    # "Live updates"), not one story: two of them that share an intro are not copies
    if len(key.split()) < TITLE_MIN_WORDS:
        return None
    return (cand.source_name, key, art.published_at)


def content_hash_owner(conn: Conn, content_hash: str, exclude: int | None = None) -> int | None:
    """The stored article whose normalised text has this hash (other than ``exclude``)."""
    row = db.fetch_one(
        conn, "dedupe/by_content_hash", {"content_hash": content_hash, "exclude": exclude}
    )
    return int(row["id"]) if row else None
