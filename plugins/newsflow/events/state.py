"""An event as the clusterer keeps it (:class:`EventState`), a member article
(:class:`Member`), and the persistence protocol the clusterer is written against
(:class:`EventStore`), so the same algorithm runs on Postgres (:mod:`.store`) and in memory
(:mod:`.memory`, the evaluation harness and unit tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .features import ArticleFeatures, channel_keys, from_iso, iso


@dataclass
class EventState:
    """Clustering state of one event; ``to_json()`` goes to ``events.state`` (jsonb)."""

    event_id: int
    terms: dict[str, float] = field(default_factory=dict)  # sum of members' normalised tf
    names: dict[str, float] = field(default_factory=dict)
    facts: dict[str, float] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)  # place -> number of members
    first_time: datetime | None = None
    last_time: datetime | None = None
    article_count: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)  # [{id, title, lead}] (capped)
    # centroids as (key ids, values) arrays for vectorised similarity, and the years among the
    # facts; not persisted, cleared whenever the centroids change (see EventClusterer)
    arrays: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def keys(self) -> set[str]:
        """The centroids' keys, prefixed by channel, for document frequencies."""
        return channel_keys(self.terms, self.names, self.facts)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "event_id": self.event_id,
            "terms": self.terms,
            "names": self.names,
            "facts": self.facts,
            "places": self.places,
            "first_time": iso(self.first_time),
            "last_time": iso(self.last_time),
            "article_count": self.article_count,
            "sources": self.sources,
            "members": self.members,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> EventState:
        return cls(
            event_id=int(d["event_id"]),
            terms={k: float(v) for k, v in d.get("terms", {}).items()},
            names={k: float(v) for k, v in d.get("names", {}).items()},
            facts={k: float(v) for k, v in d.get("facts", {}).items()},
            places={k: int(v) for k, v in d.get("places", {}).items()},
            first_time=from_iso(d.get("first_time")),
            last_time=from_iso(d.get("last_time")),
            article_count=int(d.get("article_count", 0)),
            sources={k: int(v) for k, v in d.get("sources", {}).items()},
            members=list(d.get("members", [])),
        )


@dataclass(frozen=True)
class Placement:
    """Why an article is where it is: its average similarity to the other members, the
    strongest shared features (channel -> readable keys, see :func:`.describe.evidence`),
    the event it came from (None: its first placement) and a sentence saying why."""

    similarity: float
    evidence: Mapping[str, list[str]]
    reason: str
    from_event: int | None = None


@dataclass
class Member:
    """One article in an event, as the clusterer sees it."""

    article_id: int
    features: ArticleFeatures
    source: str | None = None


class EventStore(Protocol):
    """Persistence of events and memberships for the clusterer (Postgres: ``events``,
    ``event_articles`` with each member's features, and the ``event_keys`` index)."""

    def candidates(
        self, keys: list[str], since: datetime | None = None, limit: int = 50
    ) -> dict[int, int]:
        """``{event_id: number of matching keys}`` for live events indexed under any of
        ``keys`` (and, when ``since`` is given, last updated at or after it), best ``limit`` by
        count then by id."""
        ...

    def load(self, event_ids: Iterable[int]) -> dict[int, EventState]:
        """States of the given events. A store with lazily read document frequencies reads
        those of the states' keys here, in one go: the clusterer weighs them next and asks
        for no frequency itself (one read per state otherwise)."""
        ...

    def new_event_id(self) -> int:
        """Allocate an id for a new event (Postgres: insert the ``events`` row, return id)."""
        ...

    def save(self, state: EventState) -> None:
        """Insert or update the state (``events.state`` + derived columns)."""
        ...

    def add_keys(self, event_id: int, keys: Iterable[str]) -> None:
        """Register ``event_id`` under ``keys`` (idempotent)."""
        ...

    def members(
        self, event_ids: Iterable[int], limit: int | None = None
    ) -> dict[int, list[Member]]:
        """Members of each event, latest published first (ties: higher article id first), at
        most ``limit`` per event; their features' document frequencies read as in :meth:`load`."""
        ...

    def set_member(self, member: Member, event_id: int, placement: Placement) -> None:
        """Put ``member`` in ``event_id`` (insert, or move it from its current event) and
        record the placement in the membership history."""
        ...

    def revive(self, event_id: int) -> bool:
        """Bring back an event retired empty (not merged into another) for an article that
        left it; False when that is not the case (the caller allocates a new event)."""
        ...

    def retire(self, event_id: int, merged_into: int | None) -> None:
        """An event left without members: keep its row, pointing at where its articles went."""
        ...


def latest_first(m: Member) -> tuple[float, int]:
    t = m.features.published_at
    return (-(t.timestamp() if t else 0.0), -m.article_id)
