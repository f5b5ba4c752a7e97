"""WebSub (W3C Recommendation): a hub pushes a feed's news instead of us waiting for its poll.

* discovery: a poll notes the hub a feed advertises (``<link rel="hub">`` in the feed, or an
  HTTP ``Link: <...>; rel="hub"`` header) and its topic (``rel="self"``, else the feed URL);
* :func:`subscribe` asks the hub (form POST through the fetcher's SSRF guard) to push to
  ``$NEWSFLOW_WEBSUB_CALLBACK_URL/<feed id>`` with a fresh secret; :func:`subscriptions_due`
  lists what to request or renew (a lease ending within the margin); :func:`subscribe_due`
  does both for a poll task and never raises (a hub's failure is recorded on the feed);
* :func:`handle_callback` is the whole callback endpoint as a pure function of the request
  (method, feed id, query, headers, body) -> (status, body): it answers the hub's verification
  of intent (echoing ``hub.challenge`` only for a subscription we asked for) and takes a
  content push, which counts only with a valid ``X-Hub-Signature`` (HMAC of the body with the
  secret). A valid push makes the feed due now and notifies ``newsflow_feeds_due`` (delivered
  on commit; the feeds watcher, :mod:`newsflow.streaming.feeds`, starts a run within seconds);
  the run's poll fetches and archives its pages exactly as a scheduled poll would, so polling
  stays the fallback and nothing is ingested from an unauthenticated request.

The callback is served over HTTP by the Airflow plugin's WebSub app
(:mod:`newsflow.web.websub`, ``/newsflow/websub/<feed id>`` on the API server), which calls
:func:`handle_callback` and commits. :func:`sign` and :func:`content_push` are what a hub
does for a push (tests and the latency bench drive a push end to end with them).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newsflow import db, fetch
from newsflow.db import Autocommit, Conn
from newsflow.settings import Settings, get_settings
from newsflow.sources import feedparse

RENEW_MARGIN_S = 3600.0  # renew a subscription this long before its lease ends
MAX_LEASE_S = 366 * 24 * 3600  # a longer lease a hub grants is renewed after a year anyway
RETRY_REQUEST_S = 3600.0  # ask again when a hub never verified a request
MAX_PUSH_BYTES = 5 * 1024 * 1024
MAX_CHALLENGE_CHARS = 1024  # a hub's challenge is a short token; longer is not echoed
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str = ""


def discover(
    parsed: feedparse.ParsedFeed, headers: Mapping[str, str], feed_url: str
) -> tuple[str, str] | None:
    """(hub, topic) a feed advertises, from its HTTP Link header or its own links."""
    links = fetch.parse_link_header(headers.get("link"))
    hubs = [u for u, rel in links if rel == "hub"] + parsed.hubs
    if not hubs:
        return None
    selves = [u for u, rel in links if rel == "self"]
    topic = selves[0] if selves else (parsed.self_url or feed_url)
    return hubs[0], topic


def note_discovery(
    conn: Conn, feed: Mapping[str, Any], parsed: feedparse.ParsedFeed, headers: Mapping[str, str]
) -> None:
    """Remember the hub a polled feed advertises (no request is made here)."""
    found = discover(parsed, headers, str(feed["url"]))
    if found is None:
        return
    if (feed.get("websub_hub"), feed.get("websub_topic")) == found:
        return
    hub, topic = found
    db.execute(conn, "feeds/websub_discovered", {"id": feed["id"], "hub": hub, "topic": topic})


def subscriptions_due(conn: Conn) -> list[dict[str, Any]]:
    """Feeds whose subscription must be requested (new hub, failed, never verified) or renewed."""
    params = {"retry_after": RETRY_REQUEST_S, "renew_margin": RENEW_MARGIN_S}
    return [dict(r) for r in db.fetch_all(conn, "feeds/websub_due", params)]


def callback_url(feed_id: int, settings: Settings) -> str | None:
    base = settings.websub_callback_url
    return f"{base.rstrip('/')}/{feed_id}" if base else None


def subscribe(
    conn: Autocommit, fetcher: fetch.Fetcher, feed_id: int, settings: Settings | None = None
) -> str:
    """Ask the feed's hub to push to our callback; the new state ('requested' or 'failed').

    Commits as it goes (``conn`` is autocommit, by design): the new secret and the
    'requested' state are stored *before* the hub is asked, because a hub may verify the
    intent (a GET on the callback, served by another process) before it even answers."""
    settings = settings or get_settings()
    feed = db.fetch_one(conn, "feeds/websub_feed", {"id": feed_id})
    if feed is None or not feed["websub_hub"]:
        raise ValueError(f"feed {feed_id} advertises no WebSub hub")
    callback = callback_url(feed_id, settings)
    if callback is None:
        raise ValueError("NEWSFLOW_WEBSUB_CALLBACK_URL is not set: no callback to subscribe")
    secret = secrets.token_hex(32)
    params = {"id": feed_id, "state": "requested", "secret": secret, "error": None}
    db.execute(conn, "feeds/websub_requested", params)
    answer = fetcher.post_form(
        feed["websub_hub"],
        {
            "hub.mode": "subscribe",
            "hub.topic": feed["websub_topic"] or feed["url"],
            "hub.callback": callback,
            "hub.secret": secret,
            "hub.lease_seconds": str(settings.websub_lease),
        },
    )
    if answer.status in (202, 204) or (answer.ok and answer.status == 200):
        return "requested"
    error = f"hub answered {answer.outcome}: {answer.error or answer.status}"
    db.execute(conn, "feeds/websub_failed", {"id": feed_id, "secret": secret, "error": error})
    return "failed"


def subscribe_due(
    conn: Autocommit,
    fetcher: fetch.Fetcher,
    feed_ids: Iterable[int] | None = None,
    settings: Settings | None = None,
) -> dict[int, str]:
    """Request or renew the due subscriptions (of ``feed_ids`` only, when given); the new
    state per feed. Nothing without ``NEWSFLOW_WEBSUB_CALLBACK_URL``. Never raises for a hub:
    whatever goes wrong is recorded on the feed (``websub_state`` 'failed', ``websub_error``)
    and the subscription is asked again later; polling goes on regardless."""
    settings = settings or get_settings()
    if not settings.websub_callback_url:
        return {}
    wanted = None if feed_ids is None else set(feed_ids)
    states: dict[int, str] = {}
    for feed in subscriptions_due(conn):
        feed_id = int(feed["id"])
        if wanted is not None and feed_id not in wanted:
            continue
        try:
            states[feed_id] = subscribe(conn, fetcher, feed_id, settings)
        except Exception as exc:
            log.exception("feed %s: WebSub subscription failed", feed_id)
            error = f"{type(exc).__name__}: {exc}"[:500]
            db.execute(conn, "feeds/websub_failed", {"id": feed_id, "secret": None, "error": error})
            states[feed_id] = "failed"
    return states


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The ``X-Hub-Signature`` a hub sends with ``body``."""
    return f"{method}={hmac.new(secret.encode(), body, method).hexdigest()}"


def content_push(
    callback: str,
    secret: str,
    body: bytes,
    content_type: str = "application/atom+xml",
    timeout: float = 10.0,
) -> int:
    """Do what a hub does for a content distribution: POST ``body``, signed with the
    subscription's ``secret`` (``websub_secret`` of the feed), to ``callback``; the HTTP status.
    For tests and the latency bench against a local deployment; the library never calls it."""
    headers = {"Content-Type": content_type, "X-Hub-Signature": sign(secret, body)}
    request = urllib.request.Request(callback, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def signature_valid(secret: str | None, header: str | None, body: bytes) -> bool:
    """``X-Hub-Signature: <method>=<hex>`` is the HMAC of ``body`` with ``secret``."""
    if not secret or not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    if method.lower() not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    expected = hmac.new(secret.encode(), body, method.lower()).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def handle_callback(
    conn: Conn,
    method: str,
    feed_id: int,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> Reply:
    """The callback endpoint: verification of intent (GET) or content distribution (POST).
    Writes on ``conn`` without committing."""
    feed = db.fetch_one(conn, "feeds/websub_feed", {"id": feed_id})
    if feed is None:
        return Reply(404, "unknown subscription")
    if method.upper() == "GET":
        return _verify(conn, feed, query)
    if method.upper() != "POST":
        return Reply(405, "GET or POST")
    lower = {k.lower(): v for k, v in headers.items()}
    if len(body) > MAX_PUSH_BYTES:
        return Reply(413, "too large")
    if feed["websub_state"] != "subscribed" or not signature_valid(
        feed["websub_secret"], lower.get("x-hub-signature"), body
    ):
        # The spec: acknowledge, but ignore a push that is not authenticated.
        return Reply(202, "ignored: not authenticated")
    db.execute(conn, "feeds/websub_pushed", {"id": feed_id})
    db.execute(conn, "feeds/notify_due", {"feed_id": str(feed_id)})
    return Reply(202, "accepted: the feed is due now")


def _verify(conn: Conn, feed: Mapping[str, Any], query: Mapping[str, str]) -> Reply:
    mode = query.get("hub.mode", "")
    topic = query.get("hub.topic", "")
    expected_topic = feed["websub_topic"] or feed["url"]
    if mode == "denied" and topic == expected_topic:
        params = {"id": feed["id"], "state": "denied", "lease": None}
        db.execute(conn, "feeds/websub_verified", {**params, "error": query.get("hub.reason")})
        return Reply(200, "")
    if mode != "subscribe" or topic != expected_topic:
        return Reply(404, "no such subscription")
    challenge = query.get("hub.challenge", "")
    if not challenge or len(challenge) > MAX_CHALLENGE_CHARS:
        return Reply(400, "hub.challenge missing or too long")
    if feed["websub_state"] != "requested":
        # only a request of ours is confirmed: an unsolicited "verification" of a running
        # subscription could otherwise rewrite its lease (and end its renewals)
        return Reply(404, "no subscription was requested")
    lease_raw = query.get("hub.lease_seconds", "")
    # the hub's lease, within reason (a huge number overflowed the database: HTTP 500); none
    # given: the lease we asked for, so that the subscription is still renewed
    requested = int(get_settings().websub_lease)
    lease = min(int(lease_raw), MAX_LEASE_S) if lease_raw.isdigit() else requested
    db.execute(
        conn,
        "feeds/websub_verified",
        {"id": feed["id"], "state": "subscribed", "lease": lease, "error": None},
    )
    return Reply(200, challenge)
