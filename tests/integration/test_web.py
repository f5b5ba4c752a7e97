"""The News view (newsflow.web) against a real database filled by the real pipeline: every page,
escaping of third-party text, keyset pagination, links to DAG runs, read-only sessions.

FastAPI's TestClient, no Airflow server (Airflow's login check is tested end to end in
tests/e2e/test_browser.py).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.conninfo import make_conninfo

from newsflow import db, jobs, runs
from newsflow.settings import get_settings
from newsflow.web.app import create_app, safe_href
from newsflow.web.database import NewsDatabase, NoNewsDatabase, resolve_url
from tests.integration.helpers import article_text, query

HOSTILE_TITLE = "<script>alert('x')</script> Ferry [/i] strike [bold]ends[/bold] & more"
DAG_ID, RUN_ID = "news_files", "manual__2026-11-20T10:00:00+00:00"


def _text(seed: int, lead: str) -> str:
    return f"{lead}. " + article_text(seed)


@pytest.fixture(scope="module")
def filled(
    pg_server_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for the module (the view only reads): articles, a duplicate, validation
    failures (quarantine), events and two feeds, made by the real pipeline."""
    name = f"nf_web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    url = make_conninfo(pg_server_url, dbname=name)
    _fill(url, tmp_path_factory.mktemp("inbox"))
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fill(db_url: str, inbox: Path) -> None:
    lines = [
        {
            "title": HOSTILE_TITLE,
            "text": _text(11, "Ferry crews ended their strike on Monday"),
            "url": "https://ferry-news.example.com/strike",
            "published_at": "2026-11-19T08:00:00Z",
            "source": "Harbour <b>Gazette</b>",
        },
        {
            "title": "Ferry strike ends after talks",
            "text": _text(11, "Ferry crews ended their strike on Monday") + " Update.",
            "url": "https://other-paper.example.com/ferry",
            "published_at": "2026-11-19T09:00:00Z",
            "source": "Other Paper",
        },
        {"title": "Too short <img src=x onerror=alert(1)>", "text": "Only a sentence."},
        {
            "title": "From the future",
            "text": _text(12, "Time travellers"),
            "published_at": "2031-01-01T00:00:00Z",
        },
    ]
    for n in range(6):  # enough rows for several pages
        lines.append(
            {
                "title": f"Library story {n}",
                "text": _text(100 + n, f"Library report {n}"),
                "url": f"https://library-{n}.example.com/story",
                "published_at": f"2026-11-1{n}T12:00:00Z",
                "source": "Library Weekly",
            }
        )
    (inbox / "wire.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    # The same text again in another file: recorded as a duplicate of the first article.
    (inbox / "copy.txt").write_text("Ferry copy\n\n" + lines[0]["text"])
    jobs.ingest_inbox(db_url, runs.identity(DAG_ID, RUN_ID), inbox=inbox)
    with db.connect(db_url) as conn:
        jobs.cluster_pending(conn)
        conn.commit()
    with psycopg.connect(db_url) as conn:
        conn.execute(
            "INSERT INTO news.feeds (url, name, last_status, last_error, paused_at, "
            "paused_reason, consecutive_failures, failure_score, poll_interval_seconds) VALUES "
            "('https://dead.example.com/rss', 'Dead <i>feed</i>', 'error', "
            "'HTTP 410 Gone <script>x</script>', now(), '5 hard failures in a row', 5, 5, 86400),"
            "('javascript:alert(1)', 'Healthy feed', 'ok', NULL, NULL, NULL, 0, 0, 900)"
        )


@pytest.fixture
def client(filled: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NEWSFLOW_WEB_PAGE_SIZE", "3")
    database = NewsDatabase(lambda: (filled, "test"))
    with TestClient(create_app(database, authenticate=False)) as test_client:
        yield test_client
    database.close()


def _ids(html: str, kind: str) -> list[int]:
    return [int(x) for x in re.findall(rf'href="/{kind}/(\d+)"', html)]


def _next(html: str) -> str | None:
    match = re.search(r'rel="next" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_every_page_answers_and_links_back_to_the_dag_run(client: TestClient, filled: str) -> None:
    article_id = query(filled, "SELECT id FROM news.articles WHERE title = %s", (HOSTILE_TITLE,))
    event_id = query(filled, "SELECT event_id FROM news.event_articles LIMIT 1")[0]["event_id"]
    run_id = query(filled, "SELECT id FROM news.ingest_runs")[0]["id"]
    run_link = "/dags/news_files/runs/manual__2026-11-20T10%3A00%3A00%2B00%3A00"
    for path in (
        "/events",
        f"/events/{event_id}",
        "/articles",
        f"/articles/{article_id[0]['id']}",
        "/quarantine",
        f"/quarantine?run={run_id}",
        "/feeds",
        "/runs",
        f"/runs/{run_id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        if path not in ("/feeds", "/events"):
            assert run_link in response.text, path
    assert client.get("/", follow_redirects=False).headers["location"] == "/events"


def test_third_party_text_is_escaped(client: TestClient, filled: str) -> None:
    article_id = query(filled, "SELECT id FROM news.articles WHERE title = %s", (HOSTILE_TITLE,))
    pages = [
        client.get(p).text
        for p in ("/articles", f"/articles/{article_id[0]['id']}", "/events", "/feeds")
    ]
    for html in pages:
        assert "<script>alert" not in html and "<script>x" not in html
        assert "<i>feed</i>" not in html and "<b>Gazette</b>" not in html
        assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Ferry [/i] strike" in pages[0]
    assert "[bold]ends[/bold] &amp; more" in pages[1]
    assert "HTTP 410 Gone &lt;script&gt;x&lt;/script&gt;" in pages[3]
    assert "5 hard failures in a row" in pages[3]
    quarantine = client.get("/quarantine").text
    assert "<img src=x" not in quarantine and "&lt;img src=x onerror=alert(1)&gt;" in quarantine
    assert safe_href("javascript:alert(1)") is None and safe_href("data:text/html,x") is None
    assert safe_href("https://a.example/x") == "https://a.example/x"


def test_keyset_pages_cover_every_row_once_in_order(client: TestClient, filled: str) -> None:
    expected = [r["id"] for r in query(filled, "SELECT id FROM news.articles ORDER BY id DESC")]
    seen: list[int] = []
    url: str | None = "/articles"
    pages = 0
    while url:
        html = client.get(url).text
        ids = _ids(html, "articles")
        assert 0 < len(ids) <= 3
        seen += ids
        url = _next(html)
        pages += 1
    assert seen == expected and pages == -(-len(expected) // 3)

    events = [
        r["id"]
        for r in query(
            filled,
            "SELECT id FROM news.events WHERE retired_at IS NULL "
            "ORDER BY coalesce(last_published_at, '-infinity') DESC, id DESC",
        )
    ]
    seen, url = [], "/events"
    while url:
        html = client.get(url).text
        seen += list(dict.fromkeys(i for i in _ids(html, "events")))
        url = _next(html)
    assert seen == events


def test_article_page_shows_provenance_duplicates_and_event(
    client: TestClient, filled: str
) -> None:
    row = query(
        filled,
        "SELECT a.id, ea.event_id FROM news.articles a "
        "LEFT JOIN news.event_articles ea ON ea.article_id = a.id WHERE a.title = %s",
        (HOSTILE_TITLE,),
    )[0]
    html = client.get(f"/articles/{row['id']}").text
    source = query(
        filled, "SELECT published_at_source FROM news.articles WHERE id = %s", (row["id"],)
    )[0]["published_at_source"]
    assert source and source in html  # where the date came from
    assert "near-dup" in html and "copy.txt" in html  # the recorded copy and its method
    assert f'href="/events/{row["event_id"]}"' in html
    assert "wire.jsonl" in html  # the raw document it came from


def test_run_page_shows_failing_expectations_with_example_rows(
    client: TestClient, filled: str
) -> None:
    run = query(filled, "SELECT id, validation FROM news.ingest_runs")[0]
    assert run["validation"]["success"] is False
    html = client.get(f"/runs/{run['id']}").text
    assert "Failed" in html
    failing = [e for e in run["validation"]["expectations"] if not e["success"]]
    assert failing
    for e in failing:
        assert f"Failing: {e['expectation']} on {e['column']}" in html
    assert "The text length is 16 characters" in html  # an example row, with its reason
    assert "wire.jsonl line 3" in html
    assert "The text length is N characters; at least N are needed." in html  # reasons by kind
    # a date in the future is a broken field, not a broken article: dropped, article stored
    future = query(
        filled, "SELECT published_at, repairs FROM news.articles WHERE title = 'From the future'"
    )
    assert future and future[0]["published_at"] is None


def test_quarantine_by_run_and_feed_health(client: TestClient, filled: str) -> None:
    run_id = query(filled, "SELECT id FROM news.ingest_runs")[0]["id"]
    html = client.get(f"/quarantine?run={run_id}").text
    assert html.count("<tr>") >= 2 and "only this run" not in html
    assert client.get("/quarantine?run=999999").text.count('class="badge">validate') == 0
    feeds = client.get("/feeds").text
    assert "paused" in feeds and "1440 min" in feeds and "Healthy feed" in feeds


def test_errors_are_pages_not_tracebacks(client: TestClient) -> None:
    assert client.get("/articles/987654").status_code == 404
    assert client.get("/events/987654").status_code == 404
    assert client.get("/runs/987654").status_code == 404
    bad = client.get("/articles?after=not-a-cursor")
    assert bad.status_code == 400 and "start from the first page" in bad.text
    assert client.get("/articles/abc").status_code == 422
    # well-formed links with values Postgres refuses (a 500 before)
    for path, values in (
        ("/events", ["garbage", 1]),
        ("/events", ["2026-01-01", 10**30]),
        ("/articles", [10**30]),
        ("/feeds", ["a\u0000", 1]),
    ):
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        assert client.get(f"{path}?after={cursor}").status_code == 400, (path, values)


def test_an_event_pages_through_undated_articles_and_names_what_the_run_saw(
    db_url: str, tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seeds carry no date: an event's page ordered them by the time they were first
    seen but made its next-page link of their NULL date, and page two was empty. The
    quarantine page named a file by the archive's first name for the bytes, one the
    quarantining run never saw."""
    import shutil

    inbox = tmp_path / "seeds"
    inbox.mkdir()
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, inbox / path.name)
    jobs.ingest_inbox(db_url, runs.identity(DAG_ID, "seeds"), inbox=inbox)
    with db.connect(db_url) as conn:
        jobs.cluster_pending(conn)
        conn.commit()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "first-name.txt").write_text("Too short\n\nOnly a sentence.")
    shutil.copy(first / "first-name.txt", second / "second-name.txt")
    ident = runs.identity(DAG_ID, "died")
    with db.connect(db_url) as conn, runs.ingest_run(conn, ident, finish=False) as run_id:
        jobs.archive_inbox(conn, run_id, first, ident, get_settings())  # then it died
    later = jobs.ingest_inbox(db_url, runs.identity(DAG_ID, "later"), inbox=second)

    monkeypatch.setenv("NEWSFLOW_WEB_PAGE_SIZE", "2")
    database = NewsDatabase(lambda: (db_url, "test"))
    with TestClient(create_app(database, authenticate=False)) as web:
        (event,) = query(db_url, "SELECT id FROM news.events")
        seen: list[int] = []
        url: str | None = f"/events/{event['id']}"
        while url:
            html = web.get(url).text
            seen += list(dict.fromkeys(_ids(html, "articles")))
            url = _next(html)
        assert sorted(seen) == sorted(
            r["id"] for r in query(db_url, "SELECT id FROM news.articles")
        )
        assert len(seen) == 5
        for path in ("/quarantine", f"/quarantine?run={later['id']}"):
            html = web.get(path).text
            assert "second-name.txt" in html and "first-name.txt" not in html, path
    database.close()


def test_sessions_are_read_only(filled: str) -> None:
    database = NewsDatabase(lambda: (filled, "test"))
    try:
        with (
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
            database.connection() as conn,
        ):
            conn.execute("DELETE FROM news.feeds")
    finally:
        database.close()
    assert query(filled, "SELECT count(*) AS n FROM news.feeds")[0]["n"] == 2


def test_database_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsflow.settings import get_settings

    for name in ("NEWSFLOW_WEB_DATABASE_URL", "NEWSFLOW_DATABASE_URL", "AIRFLOW_CONN_NEWS_WEB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSFLOW_WEB_CONN_ID", "news_web")
    with pytest.raises(NoNewsDatabase, match="AIRFLOW_CONN_NEWS_WEB"):
        resolve_url(get_settings())
    monkeypatch.setenv("NEWSFLOW_DATABASE_URL", "postgresql://fallback@h/db")
    assert resolve_url(get_settings()) == ("postgresql://fallback@h/db", "NEWSFLOW_DATABASE_URL")
    monkeypatch.setenv(
        "AIRFLOW_CONN_NEWS_WEB",
        json.dumps(
            {"conn_type": "postgres", "host": "dbhost", "login": "reader", "schema": "news"}
        ),
    )
    url, origin = resolve_url(get_settings())
    assert origin == "Airflow connection news_web"
    assert "host=dbhost" in url and "user=reader" in url and "dbname=news" in url
    monkeypatch.setenv("NEWSFLOW_WEB_DATABASE_URL", "postgresql://web@h/db")
    assert resolve_url(get_settings())[1] == "NEWSFLOW_WEB_DATABASE_URL"


def test_no_database_is_a_page_that_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> tuple[str, str]:
        raise NoNewsDatabase("no news database for the News view: define the connection")

    with TestClient(create_app(NewsDatabase(missing), authenticate=False)) as test_client:
        response = test_client.get("/events")
    assert response.status_code == 503 and "define the connection" in response.text
