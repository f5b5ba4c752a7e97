"""The clusterer's in-memory window of the inverted index (``events.store.WindowIndex``):
answers as the ``events/candidates`` query would, follows the clusterer's writes, and starts
again when an event it could not follow comes back into the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsflow.events.store import WindowIndex

T = datetime(2026, 5, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T + timedelta(days=n)


def window_with(entries: dict[str, list[tuple[int, datetime]]], since: datetime) -> WindowIndex:
    w = WindowIndex()
    w.since = since
    rows = [{"key": k, "event_id": e, "last_published_at": t} for k, es in entries.items()
            for e, t in es]  # fmt: skip
    w.add_entries(sorted(entries), rows)
    return w


def test_candidates_count_hits_filter_by_time_and_order_like_the_query() -> None:
    w = window_with(
        {"e:a": [(1, day(10)), (2, day(5)), (3, day(9))], "e:b": [(3, day(9)), (4, day(12))]},
        day(0),
    )
    assert w.candidates(["e:a", "e:b"], day(0), 50) == {3: 2, 1: 1, 2: 1, 4: 1}
    assert list(w.candidates(["e:a", "e:b"], day(0), 50)) == [3, 1, 2, 4]  # hits, then id
    assert w.candidates(["e:a", "e:b"], day(9), 50) == {3: 2, 1: 1, 4: 1}  # 2 is too old
    assert w.candidates(["e:a", "e:b"], day(0), 2) == {3: 2, 1: 1}
    assert w.candidates(["e:zzz"], day(0), 50) == {}  # a key read with no entries


def test_follows_new_events_added_keys_and_retirement() -> None:
    w = window_with({"e:a": [(1, day(10))], "e:b": []}, day(0))
    w.live(7)
    w.add_keys(7, ["e:a", "e:b", "e:unread"])
    assert w.candidates(["e:a"], day(0), 50) == {1: 1}  # no time yet: not a candidate
    w.touch(7, day(11))
    assert w.candidates(["e:a", "e:b"], day(0), 50) == {7: 2, 1: 1}
    assert "e:unread" not in w.postings  # read from Postgres when first looked up
    w.retire(7)
    assert w.candidates(["e:a", "e:b"], day(0), 50) == {1: 1}
    w.live(7)  # revived: no keys until its article brings them
    w.touch(7, day(12))
    assert w.candidates(["e:a", "e:b"], day(0), 50) == {1: 1}
    assert w.since == day(0)


def test_an_event_back_in_the_window_or_never_seen_in_it_starts_the_index_again() -> None:
    w = window_with({"e:a": [(1, day(10))]}, day(5))
    w.touch(1, day(4))  # a member left: its time went back, below the window
    assert w.candidates(["e:a"], day(5), 50) == {}
    w.add_entries(["e:b"], [])  # read meanwhile: Postgres left event 1 out
    w.touch(1, day(6))  # back inside: "e:b" may lack it
    assert w.since is None and not w.postings

    w = window_with({"e:a": [(1, day(10))]}, day(5))
    w.touch(9, day(3))  # an event the query found, outside the window: nothing to follow
    assert w.since == day(5)
    w.touch(9, day(6))  # now inside: the keys read so far may lack it
    assert w.since is None and not w.postings

    w = window_with({"e:a": [(1, day(10))]}, day(5))
    w.touch(1, day(12))  # inside before and after: followed
    assert w.since == day(5) and w.last[1] == day(12)
