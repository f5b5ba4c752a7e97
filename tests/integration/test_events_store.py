"""Events and near-duplicates against the whole stored history, in real Postgres."""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from newsflow_tools.evaluation import data
from psycopg.rows import dict_row

from newsflow import db, jobs, runs
from newsflow import events as ev
from tests.integration.helpers import article_text, query, snapshot


def _partition(store: ev.InMemoryEventStore) -> set[frozenset[int]]:
    """The in-memory store's events as sets of article ids."""
    events: dict[int, set[int]] = {}
    for article_id, (event_id, _) in store.memberships.items():
        events.setdefault(event_id, set()).add(article_id)
    return {frozenset(members) for members in events.values()}


def _cluster(url: str) -> dict:
    with db.connect(url) as conn:
        return jobs.cluster_pending(conn)


def test_seeds_are_one_event_of_five_and_rerun_changes_nothing(
    db_url: str, inbox: Path, seeds_dir: Path
) -> None:
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    run = jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    assert run["articles_stored"] == 5 and run["duplicates"] == 0
    counts = _cluster(db_url)
    assert counts["articles"] == 5
    rows = query(db_url, "SELECT * FROM news.events")
    assert len(rows) == 1, [r["title"] for r in rows]
    event = rows[0]
    assert event["article_count"] == 5
    assert event["title"] and len(event["title"]) <= 160
    assert "Homs" in json.dumps(event["places"]) or "Damascus" in json.dumps(event["places"])
    assert (
        len(query(db_url, "SELECT * FROM news.event_articles WHERE event_id = %s", (event["id"],)))
        == 5
    )
    assert query(db_url, "SELECT count(*) AS n FROM news.article_duplicates")[0]["n"] == 0

    before = snapshot(db_url, ("events", "event_articles", "event_keys", "event_docfreq"))
    assert _cluster(db_url)["articles"] == 0
    assert snapshot(db_url, ("events", "event_articles", "event_keys", "event_docfreq")) == before
    latest = query(db_url, "SELECT * FROM news.latest_events")
    assert len(latest) == 1 and len(latest[0]["articles"]) == 5


def test_near_duplicate_a_week_later_in_a_later_run(db_url: str, tmp_path: Path) -> None:
    original = "Ferry Service Resumes In Port Ellis\n\n" + article_text(42, sentences=30)
    first = tmp_path / "week1"
    first.mkdir()
    (first / "a.jsonl").write_text(
        json.dumps(
            {
                "url": "https://coast-news.com/ferry",
                "title": "Ferry service resumes in Port Ellis",
                "text": original,
                "published_at": "2026-11-01T09:00:00Z",
                "source": "Coast News",
            }
        )
    )
    jobs.ingest_inbox(db_url, runs.identity("t", "w1"), inbox=first)
    # Unrelated articles stored in between, so the lookup is against a real history.
    filler = tmp_path / "filler"
    filler.mkdir()
    for i in range(30):
        (filler / f"f{i}.txt").write_text(f"Filler Story Number {i}\n\n" + article_text(1000 + i))
    jobs.ingest_inbox(db_url, runs.identity("t", "fill"), inbox=filler)

    later = tmp_path / "week2"
    later.mkdir()
    paragraphs = original.split("\n\n")[1:]
    repost = "\n\n".join(paragraphs[:-1]) + "\n\nThis story was provided by Coastline Wire."
    (later / "b.jsonl").write_text(
        json.dumps(
            {
                "url": "https://other-paper.com/news/ferry-back",
                "title": "Ferries are back",
                "text": repost.replace("harbour", "port", 2),
                "published_at": "2026-11-08T09:00:00Z",
                "source": "Other Paper",
            }
        )
    )
    run = jobs.ingest_inbox(db_url, runs.identity("t", "w2"), inbox=later)
    assert run["duplicates"] == 1 and run["articles_stored"] == 0, run
    dup = query(
        db_url,
        "SELECT d.*, a.title AS original FROM news.article_duplicates d "
        "JOIN news.articles a ON a.id = d.duplicate_of",
    )[0]
    assert dup["method"] == "near-dup"
    assert dup["original"] == "Ferry service resumes in Port Ellis"
    assert dup["score"] >= dup["threshold"] > 0
    chain = query(db_url, "SELECT * FROM news.article_duplicate_chain WHERE duplicate_count > 0")
    assert len(chain) == 1 and chain[0]["duplicates"][0]["method"] == "near-dup"


def test_daily_volume_counts_utc_days_whatever_the_session_time_zone(
    db_url: str, inbox: Path
) -> None:
    """An inbox folder's date is midnight UTC: ``::date`` in a session west of UTC put every
    such article on the day before."""
    (inbox / "2026-11-18").mkdir()
    (inbox / "2026-11-18" / "a.txt").write_text("Tram Line Opens\n\n" + article_text(7))
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    with psycopg.connect(db_url, row_factory=dict_row, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'America/New_York'")
        rows = conn.execute("SELECT day, articles FROM news.source_daily_volume").fetchall()
    assert [(str(r["day"]), r["articles"]) for r in rows] == [("2026-11-18", 1)]


def test_latest_events_span_publication_dates_and_list_undated_events_last(
    db_url: str, inbox: Path
) -> None:
    """An undated article's event took its ingestion time as its "published" span: listed as
    the newest event, and inside every "last week" filter."""
    (inbox / "2026-11-18").mkdir()
    (inbox / "2026-11-18" / "dated.txt").write_text("Tram Line Opens\n\n" + article_text(7))
    (inbox / "undated.txt").write_text("Ferry Service Resumes\n\n" + article_text(8))
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    _cluster(db_url)
    rows = query(db_url, "SELECT title, first_published_at, last_published_at, last_seen_at "
                 "FROM news.latest_events")  # fmt: skip
    assert [r["title"] for r in rows] == ["Tram Line Opens", "Ferry Service Resumes"]
    assert str(rows[0]["first_published_at"].date()) == "2026-11-18"
    assert rows[1]["first_published_at"] is None and rows[1]["last_published_at"] is None
    assert rows[1]["last_seen_at"] is not None


def test_a_copy_counts_under_its_own_publisher(db_url: str, inbox: Path) -> None:
    """The daily volume counted a copy under the original's publisher: a syndicating paper
    whose items were all copies appeared nowhere."""
    story = article_text(21)
    lines = [
        {"title": "Harbour strike ends", "text": story, "source": "Wire One",
         "published_at": "2026-11-19T08:00:00Z", "url": "https://wire.example/a"},
        {"title": "Harbour strike ends", "text": story + " More.", "source": "Copy Times",
         "published_at": "2026-11-19T10:00:00Z", "url": "https://copy.example/b"},
    ]  # fmt: skip
    (inbox / "wire.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    run = jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    assert run["articles_stored"] == 1 and run["duplicates"] == 1, run
    rows = query(db_url, "SELECT source, articles, duplicates FROM news.source_daily_volume")
    assert {(r["source"], r["articles"], r["duplicates"]) for r in rows} == {
        ("Wire One", 1, 0),
        ("Copy Times", 0, 1),
    }
    [chain] = query(db_url, "SELECT duplicates FROM news.article_duplicate_chain")
    assert chain["duplicates"][0]["source"] == "Copy Times"


def test_reader_role_can_read_but_not_write(db_url: str, inbox: Path) -> None:
    (inbox / "a.txt").write_text("Tram Line Opens\n\n" + article_text(7))
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    with psycopg.connect(db_url, row_factory=dict_row, autocommit=True) as conn:
        conn.execute("SET ROLE newsflow_reader")
        assert conn.execute("SELECT count(*) AS n FROM news.articles").fetchone()["n"] == 1
        for view in (
            "latest_events",
            "article_duplicate_chain",
            "quarantine_by_run",
            "feed_health",
            "source_daily_volume",
        ):
            conn.execute(f"SELECT * FROM news.{view} LIMIT 1").fetchall()
        for statement in (
            "INSERT INTO news.sources (name) VALUES ('x')",
            "UPDATE news.articles SET title = 'x'",
            "DELETE FROM news.articles",
            "CREATE TABLE news.evil (id int)",
            "TRUNCATE news.quarantine",
        ):
            try:
                conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege:
                continue
            raise AssertionError(f"newsflow_reader could run: {statement}")


@pytest.mark.skipif(not data.ecbplus_available(), reason=data.skip_reason("ecbplus"))
def test_postgres_store_clusters_exactly_like_the_in_memory_store(db_url: str, inbox: Path) -> None:
    """Two look-alike ECB+ events per topic, shuffled, clustered in Postgres in small batches:
    the same partition, moves and retired events as the in-memory reference, and consistent
    tables (each article in one live event, counts match, retired events point somewhere)."""
    docs = data.load_split("dev", {5, 35})
    order = list(range(len(docs)))
    random.Random(33).shuffle(order)
    t0 = datetime(2020, 1, 1, 6, tzinfo=UTC)
    lines = [
        json.dumps(
            {
                "url": f"https://ecb{d.topic}.example/{d.doc_id}",
                "title": d.title,
                "text": d.text,
                "published_at": (t0 + timedelta(minutes=n)).isoformat(),
                "source": f"Source {n % 7}",
            }
        )
        for n, d in enumerate(docs[i] for i in order)
    ]
    (inbox / "ecb.jsonl").write_text("\n".join(lines) + "\n")
    run = jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    stored = run["articles_stored"]
    assert stored >= 25, run  # the shortest ECB+ texts fail validation and go to quarantine
    with db.connect(db_url) as conn:
        counts = jobs.cluster_pending(conn, batch_size=7)
    assert counts["articles"] == stored and counts["articles_moved"] > 0, counts

    articles = query(
        db_url,
        "SELECT a.id, a.title, a.text, a.published_at, s.name AS source FROM news.articles a "
        "JOIN news.sources s ON s.id = a.source_id ORDER BY a.published_at, a.id",
    )
    store = ev.InMemoryEventStore()
    clusterer = ev.EventClusterer(store)
    ids: dict[int, int] = {}  # in-memory event id -> Postgres event id, by first member
    for a in articles:
        clusterer.assign(a["id"], ev.featurize(a["title"], a["text"], a["published_at"]),
                         source=a["source"])  # fmt: skip
    memory = _partition(store)
    rows = query(db_url, "SELECT event_id, article_id, similarity FROM news.event_articles")
    pg: dict[int, set[int]] = {}
    for r in rows:
        pg.setdefault(r["event_id"], set()).add(r["article_id"])
        ids[r["article_id"]] = r["event_id"]
        assert r["similarity"] == pytest.approx(store.memberships[r["article_id"]][1], abs=1e-4)
    assert {frozenset(v) for v in pg.values()} == memory
    assert len(rows) == stored

    events = {r["id"]: r for r in query(db_url, "SELECT * FROM news.events")}
    retired = {i for i, e in events.items() if e["retired_at"] is not None}
    assert len(retired) == len(store.merged_into) == counts["events_retired"]
    assert set(pg) == set(events) - retired
    for eid, members in pg.items():
        assert events[eid]["article_count"] == len(members)
        assert events[eid]["title"] and events[eid]["merged_into"] is None
    assert counts["events_created"] == len(events)  # also those split off from earlier members
    for eid in retired:
        assert events[eid]["article_count"] == 0 and events[eid]["state"] is None
        assert events[eid]["merged_into"] is None or events[eid]["merged_into"] in events
        assert events[eid]["title"]  # also one created and retired within one batch
    assert not query(
        db_url, "SELECT 1 FROM news.event_keys WHERE event_id = ANY(%s)", (sorted(retired),)
    )
    latest = query(db_url, "SELECT event_id FROM news.latest_events")
    assert {r["event_id"] for r in latest} == set(pg)


def test_seed_event_is_headed_by_the_real_title_and_says_why_each_article_is_there(
    db_url: str, inbox: Path, seeds_dir: Path
) -> None:
    """One seed has a real headline, the others a title derived from their first sentence: the
    event is headed by the real one. Every membership keeps its similarity and shared features,
    every placement is in the history, and the timeline view lists the articles in order."""
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    _cluster(db_url)
    real = query(db_url, "SELECT title FROM news.articles WHERE NOT title_derived")
    assert len(real) == 1, real
    (event,) = query(db_url, "SELECT * FROM news.events")
    assert event["title"] == real[0]["title"]

    members = query(db_url, "SELECT * FROM news.event_membership ORDER BY article_id")
    assert len(members) == 5
    joined = [m for m in members if m["history"][-1]["from_event"] is None]
    assert len(joined) == 5  # the seeds never moved: one placement each
    first, *later = sorted(members, key=lambda m: m["history"][0]["at"])
    assert first["history"][0]["reason"].startswith("first article of a new event")
    for m in later:
        assert m["evidence"]["places"] and m["evidence"]["names"], m["evidence"]
        assert {"Syria", "Damascus", "Homs"} & set(m["evidence"]["places"])
        assert m["history"][0]["reason"].startswith("closest event: average similarity")

    timeline = query(
        db_url, "SELECT * FROM news.event_timeline WHERE event_id = %s ORDER BY at, article_id",
        (event["id"],),
    )  # fmt: skip
    assert [r["happening"] for r in timeline] == ["article"] * 5
    assert [r["at"] for r in timeline] == sorted(r["at"] for r in timeline)


def test_the_timeline_shows_an_article_taken_out_and_placed_again(
    db_url: str, inbox: Path, seeds_dir: Path
) -> None:
    """An article re-extracted (its text changed) is taken out of its event and clustered
    again: the timeline said "taken out" and never that it came back."""
    from newsflow import reprocess

    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    _cluster(db_url)
    (event,) = query(db_url, "SELECT id FROM news.events")
    (one,) = query(db_url, "SELECT id FROM news.articles ORDER BY id LIMIT 1")
    with db.connect(db_url) as conn:  # made by an older extractor, with a line it now drops
        conn.execute(
            "UPDATE news.articles SET extractor_version = '2020.1', text = text || "
            "' Old trailing line.', content_hash = content_hash || '-old' WHERE id = %s",
            (one["id"],),
        )
        run_id = runs.start_run(conn, runs.identity("news_reprocess", "rp"))
        conn.commit()
        reprocess.reprocess(conn, run_id, reprocess.Selection())
        runs.finish_run(conn, run_id)
        conn.commit()
    _cluster(db_url)
    rows = query(
        db_url,
        "SELECT happening, article_id FROM news.event_timeline WHERE event_id = %s "
        "AND happening <> 'article' ORDER BY recorded_at",
        (event["id"],),
    )
    assert [(r["happening"], r["article_id"]) for r in rows] == [
        ("article taken out", one["id"]),
        ("article placed again", one["id"]),
    ]


@pytest.mark.skipif(not data.ecbplus_available(), reason=data.skip_reason("ecbplus"))
def test_moves_are_recorded_with_time_and_reason(db_url: str, inbox: Path) -> None:
    docs = data.load_split("dev", {5, 35})
    order = list(range(len(docs)))
    random.Random(33).shuffle(order)
    t0 = datetime(2020, 1, 1, 6, tzinfo=UTC)
    lines = [
        json.dumps({"url": f"https://ecb{d.topic}.example/{d.doc_id}", "title": d.title,
                    "text": d.text, "published_at": (t0 + timedelta(minutes=n)).isoformat(),
                    "source": f"Source {n % 7}"})
        for n, d in enumerate(docs[i] for i in order)
    ]  # fmt: skip
    (inbox / "ecb.jsonl").write_text("\n".join(lines) + "\n")
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)
    counts = _cluster(db_url)
    moves = query(db_url, "SELECT * FROM news.event_moves WHERE from_event IS NOT NULL")
    assert len(moves) == counts["articles_moved"] > 0
    for m in moves:
        assert m["to_event"] != m["from_event"] and m["moved_at"] is not None
        assert m["reason"].startswith("moved when article ")
    placed = query(db_url, "SELECT count(*) AS n FROM news.event_moves WHERE from_event IS NULL")
    assert placed[0]["n"] == counts["articles"]
    # where each article is now is where its last history row put it
    last = query(
        db_url,
        "SELECT DISTINCT ON (article_id) article_id, to_event FROM news.event_moves "
        "ORDER BY article_id, id DESC",
    )
    now = {
        r["article_id"]: r["event_id"] for r in query(db_url, "SELECT * FROM news.event_articles")
    }
    assert {r["article_id"]: r["to_event"] for r in last} == now
    kinds = {r["happening"] for r in query(db_url, "SELECT happening FROM news.event_timeline")}
    assert {"article", "article moved in", "article moved out"} <= kinds


def test_window_index_answers_like_the_candidates_query(db_url: str) -> None:
    """The Postgres store answers candidate lookups from its in-memory window of the index.
    Synthetic stories over 60 days; 100 arrive in publication order, then the older ones arrive
    late (the oldest before the window's start: the query answers them, and an
    event they bring back into the window makes the index start again). Before every
    assignment the store's answer equals the ``events/candidates`` query, and the partition
    equals the in-memory store's on the same order."""
    from newsflow_tools.bench import events as be

    from newsflow.events.store import PostgresEventStore, WindowIndex, lazy_docfreq

    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    articles = be.story_articles(1, 200, 7, t0, 60.0)
    # the window starts 14 days before the first arrival: inside a story that arrives late
    gap = timedelta(days=14)
    by_story: dict[int, list[be.Article]] = {}
    for a in articles:
        by_story.setdefault(a.story, []).append(a)
    for story in by_story.values():
        later = [a for a in articles if a.published_at >= story[0].published_at + gap]
        straddles = later and later[0].published_at - gap < story[-1].published_at
        if story[0].published_at > t0 + timedelta(days=5) and straddles:
            start = later[0].published_at
            break
    else:
        pytest.fail("no story straddles a window start")
    order = [a for a in articles if a.published_at >= start][:100]
    order += [a for a in articles if t0 + timedelta(days=3) <= a.published_at < start]
    restarts = 0
    clear = WindowIndex.clear

    def counting_clear(self: WindowIndex) -> None:
        nonlocal restarts
        restarts += self.since is not None
        clear(self)

    memory = ev.InMemoryEventStore()
    reference = ev.EventClusterer(memory)
    with db.connect(db_url) as conn, pytest.MonkeyPatch.context() as mp:
        mp.setattr(WindowIndex, "clear", counting_clear)
        row = db.fetch_one(
            conn, "bench/raw_document", {"content_hash": "window", "locator": "test/window"}
        )
        assert row is not None
        be.insert_new(conn, int(row["id"]), order)
        docfreq = lazy_docfreq(conn)
        store = PostgresEventStore(conn, docfreq)
        clusterer = ev.EventClusterer(store, docfreq=docfreq)
        from_window = from_query = 0
        for a in order:
            features = ev.featurize(a.title, a.text, a.published_at)
            keys = clusterer.lookup_keys(features)
            since = clusterer.lookup_since(features)
            assert since is not None
            expected = {
                int(r["event_id"]): int(r["hits"])
                for r in db.fetch_all(
                    conn, "events/candidates", {"keys": keys, "since": since, "limit": 50}
                )
            }
            window_covers = store.window.since is None or since >= store.window.since
            assert store.candidates(keys, since, 50) == expected, a.n
            from_window += window_covers and bool(keys)
            from_query += not window_covers
            clusterer.assign(a.n, features, a.source)
            reference.assign(a.n, ev.featurize(a.title, a.text, a.published_at), a.source)
        store.flush()
        conn.commit()
    assert from_window > 80 and from_query > 5 and restarts >= 1, (
        from_window, from_query, restarts
    )  # fmt: skip
    rows = query(db_url, "SELECT event_id, article_id FROM news.event_articles")
    pg: dict[int, set[int]] = {}
    for r in rows:
        pg.setdefault(r["event_id"], set()).add(r["article_id"])
    assert {frozenset(v) for v in pg.values()} == _partition(memory)


def test_features_of_an_older_version_are_brought_up_to_date_in_place(
    db_url: str, inbox: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memberships stored by an older featurize() (here: one that read every name as "Legacy
    <name>" and also named every article "Legacy", stored as version 1) are re-featurised before the next clustering: same events,
    new features, document frequencies counting exactly the stored keys, event states and
    index keys rebuilt from them; once done, later runs change nothing."""
    from newsflow.events import features as features_module
    from newsflow.events import store as store_module

    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity("t", "r1"), inbox=inbox)

    def old_featurize(*args: object, **kwargs: object) -> ev.ArticleFeatures:
        f = ev.featurize(*args, **kwargs)  # type: ignore[arg-type]
        f.names = {f"legacy {name}": weight for name, weight in f.names.items()}
        f.names["legacy"] = 1.0
        return f

    with monkeypatch.context() as old_code:
        old_code.setattr(features_module, "FEATURES_VERSION", 1)
        old_code.setattr(store_module, "FEATURES_VERSION", 1)
        old_code.setattr(store_module, "featurize", old_featurize)
        assert _cluster(db_url)["articles"] == 5
    membership = "SELECT article_id, event_id FROM news.event_articles ORDER BY article_id"
    before = query(db_url, membership)
    assert query(db_url, "SELECT df FROM news.event_docfreq WHERE key = 'e:legacy'") == [{"df": 5}]
    assert {
        r["v"] for r in query(db_url, "SELECT features->>'version' AS v FROM news.event_articles")
    } == {"1"}

    counts = _cluster(db_url)
    assert counts["articles"] == 0
    assert counts["articles_refeaturized"] == 5 and counts["events_rebuilt"] == 1
    assert query(db_url, membership) == before  # nobody moved
    rows = query(
        db_url,
        "SELECT ea.features, a.title, a.text, a.title_derived, "
        "coalesce(a.published_at, a.first_seen_at) AS t "
        "FROM news.event_articles ea JOIN news.articles a ON a.id = ea.article_id",
    )
    stored = [ev.ArticleFeatures.from_json(r["features"]) for r in rows]
    for row, features in zip(rows, stored, strict=True):
        assert row["features"]["version"] == ev.FEATURES_VERSION
        fresh = ev.featurize(
            row["title"], row["text"], row["t"], title_derived=row["title_derived"]
        )
        assert ev.ArticleFeatures.from_json(fresh.to_json()) == features
    counted = {
        r["key"]: r["df"] for r in query(db_url, "SELECT * FROM news.event_docfreq WHERE df > 0")
    }
    expected: dict[str, int] = {}
    for features in stored:
        for key in features.keys():  # noqa: SIM118 (not a dict)
            expected[key] = expected.get(key, 0) + 1
    assert counted == expected
    assert query(db_url, "SELECT n_docs, features_version FROM news.event_corpus") == [
        {"n_docs": 5, "features_version": ev.FEATURES_VERSION}
    ]
    [event] = query(db_url, "SELECT state FROM news.events WHERE merged_into IS NULL")
    state = ev.EventState.from_json(event["state"])
    assert not any("legacy" in name for name in state.names) and state.article_count == 5
    index = {r["key"] for r in query(db_url, "SELECT key FROM news.event_keys")}
    assert {"e:" + name for f in stored for name in f.names} <= index

    tables = ("events", "event_articles", "event_keys", "event_docfreq", "event_corpus")
    settled = snapshot(db_url, tables)
    again = _cluster(db_url)
    assert again["articles_refeaturized"] == 0
    assert snapshot(db_url, tables) == settled
