"""A dictionary-backed :class:`~.state.EventStore`: the evaluation harness and unit tests run
the clusterer on it. States are kept as JSON, so every run exercises the same round-trip as
the Postgres store, and the integration tests check both stores give the same partition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .features import ArticleFeatures, from_iso
from .state import EventState, Member, Placement, latest_first


class InMemoryEventStore:
    """Dictionary-backed :class:`EventStore`."""

    def __init__(self) -> None:
        self.states: dict[int, dict[str, Any]] = {}  # kept as JSON: exercises the round-trip
        self.index: dict[str, set[int]] = {}
        self.memberships: dict[int, tuple[int, float]] = {}  # article -> (event, similarity)
        self.member_rows: dict[int, dict[str, Any]] = {}  # article -> {features, source}
        self.merged_into: dict[int, int | None] = {}
        self.evidence: dict[int, Mapping[str, list[str]]] = {}  # article -> shared features
        self.objects: dict[int, EventState] = {}  # parsed states, as the Postgres store caches
        self.history: list[tuple[int, int | None, int, Placement]] = []  # (article, from, to, p)
        self._next = 1

    def candidates(
        self, keys: list[str], since: datetime | None = None, limit: int = 50
    ) -> dict[int, int]:
        hits: Counter = Counter()
        for k in keys:
            for eid in self.index.get(k, ()):
                if eid not in self.merged_into:
                    hits[eid] += 1
        if since is not None:
            for eid in list(hits):
                last = from_iso(self.states[eid].get("last_time"))
                if last is not None and last < since:
                    del hits[eid]
        best = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return dict(best)

    def load(self, event_ids: Iterable[int]) -> dict[int, EventState]:
        out = {}
        for i in event_ids:
            if i in self.states:
                if i not in self.objects:
                    self.objects[i] = EventState.from_json(self.states[i])
                out[i] = self.objects[i]
        return out

    def new_event_id(self) -> int:
        eid = self._next
        self._next += 1
        self.states[eid] = EventState(event_id=eid).to_json()
        return eid

    def save(self, state: EventState) -> None:
        self.states[state.event_id] = state.to_json()
        self.objects[state.event_id] = state

    def add_keys(self, event_id: int, keys: Iterable[str]) -> None:
        for k in keys:
            self.index.setdefault(k, set()).add(event_id)

    def members(
        self, event_ids: Iterable[int], limit: int | None = None
    ) -> dict[int, list[Member]]:
        wanted = set(event_ids)
        out: dict[int, list[Member]] = {e: [] for e in wanted}
        for aid, (eid, _) in self.memberships.items():
            if eid in wanted:
                row = self.member_rows[aid]
                out[eid].append(
                    Member(aid, ArticleFeatures.from_json(row["features"]), row["source"])
                )
        for eid, ms in out.items():
            ms.sort(key=latest_first)
            out[eid] = ms[:limit] if limit is not None else ms
        return out

    def set_member(self, member: Member, event_id: int, placement: Placement) -> None:
        self.memberships[member.article_id] = (event_id, placement.similarity)
        self.evidence[member.article_id] = placement.evidence
        self.history.append((member.article_id, placement.from_event, event_id, placement))
        self.member_rows[member.article_id] = {
            "features": member.features.to_json(),
            "source": member.source,
        }

    def revive(self, event_id: int) -> bool:
        if event_id not in self.merged_into or self.merged_into[event_id] is not None:
            return False
        if any(e == event_id for e, _ in self.memberships.values()):
            return False
        del self.merged_into[event_id]
        self.states[event_id] = EventState(event_id=event_id).to_json()
        return True

    def retire(self, event_id: int, merged_into: int | None) -> None:
        self.merged_into[event_id] = merged_into
        self.states.pop(event_id, None)
        self.objects.pop(event_id, None)

    def event_of(self, article_id: int) -> int:
        """Current event of an article (following moves)."""
        return self.memberships[article_id][0]

    def all_states(self) -> list[EventState]:
        return [EventState.from_json(s) for _, s in sorted(self.states.items())]
