"""A hostile local HTTP server for fetch and feed tests.

Binds 127.0.0.1 on a random port in a background thread; no conftest needed::

    from httpserver import serve

    with serve() as server:                  # the default hostile catalogue
        url = server.url("/feeds/rss2")
        ...
        assert server.hits("/feeds/rss2") == 1

    with serve({"/robots.txt": Reply(status=503)}) as server:   # override / add routes
        ...

A route is a :class:`Reply` or a callable ``(request, server) -> Reply``.  Keys ending in
``*`` match by prefix.  Unknown paths answer 404.  Every request is recorded in
``server.requests`` (method, path, headers, monotonic arrival time).
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Union

import brotli


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] | Callable[[], Iterable[bytes]] = b""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    chunk_delay: float = 0.0  # seconds between body chunks (streamed bodies)
    content_length: bool = True  # send Content-Length for bytes bodies
    drop: bool = False  # close the connection without answering
    # seconds between single header bytes after the status line (a header drip); the drip
    # stops by itself after header_drip_max seconds or when the client hangs up
    header_drip: float = 0.0
    header_drip_max: float = 60.0


@dataclass
class SeenRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic() on arrival
    body: bytes = b""  # request body (POST)

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]


Route = Union[Reply, Callable[[SeenRequest, "HostileServer"], Reply]]  # noqa: UP007


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: bodies may end at close

    def log_message(self, format: str, *args: object) -> None:  # silence
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 10 * 1024 * 1024)) if length > 0 else b""
        req = SeenRequest(
            method,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            time.monotonic(),
            body,
        )
        owner._enter(req)
        self._in_flight = True
        try:
            route = owner.resolve(req.route)
            reply = route(req, owner) if callable(route) else route
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass
        finally:
            self._leave()

    def _leave(self) -> None:
        """The request stops counting as in flight (once). Called before the last bytes of a
        whole response go out: once the client has them it may send its next request, and this
        thread may not run again before that request arrives."""
        if self._in_flight:
            self._in_flight = False
            self.server.owner._leave()

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        if reply.header_drip:
            self._drip_headers(reply)
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        body = reply.body
        if callable(body):
            body = body()
        if isinstance(body, bytes):
            if reply.content_length and "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if reply.content_length:
                self._leave()
            self.wfile.write(body)
            return
        self.end_headers()
        for chunk in body:
            if chunk:
                self.wfile.write(chunk)
                self.wfile.flush()
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)

    def _drip_headers(self, reply: Reply) -> None:
        """The status line, then one header byte every ``header_drip`` seconds, forever (or
        until ``header_drip_max``, or until the client hangs up): read timeouts never fire."""
        self.close_connection = True
        self.wfile.write(f"HTTP/1.1 {reply.status} OK\r\n".encode())
        self.wfile.flush()
        ends = time.monotonic() + reply.header_drip_max
        while time.monotonic() < ends:
            self.wfile.write(b"X-Drip: ")
            for _ in range(64):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(reply.header_drip)
                if time.monotonic() >= ends:
                    return
            self.wfile.write(b"\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileServer


class HostileServer:
    def __init__(self, routes: dict[str, Route] | None = None, *, defaults: bool = True):
        self.routes: dict[str, Route] = hostile_routes() if defaults else {}
        self.routes.update(routes or {})
        self.requests: list[SeenRequest] = []
        self.counters: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # lifecycle
    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # helpers
    def url(self, path: str) -> str:
        return self.base_url + path

    def resolve(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        best = ""
        for key in self.routes:
            if key.endswith("*") and path.startswith(key[:-1]) and len(key) > len(best):
                best = key
        return self.routes[best] if best else Reply(404, b"not found")

    def count(self, key: str) -> int:
        """Increment and return a per-server counter (for stateful routes)."""
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def hits(self, route: str) -> int:
        return sum(1 for r in self.requests if r.route == route)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _enter(self, req: SeenRequest) -> None:
        with self._lock:
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


@contextmanager
def serve(
    routes: dict[str, Route] | None = None, *, defaults: bool = True
) -> Iterator[HostileServer]:
    server = HostileServer(routes, defaults=defaults)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------
# Payloads
# ------------------------------------------------------------------------------------

FEEDS_DIR = Path(__file__).resolve().parent / "fixtures" / "feeds"


def sample(name: str) -> bytes:
    """A feed sample of ``tests/fixtures/feeds``."""
    return (FEEDS_DIR / name).read_bytes()


RSS2 = sample("rss2.xml")
RSS1 = sample("rss1.rdf")
ATOM = sample("atom.xml")  # xml:base, and a per-entry xml:base
ATOM_NO_BASE = sample("atom-relative.xml")  # relative links resolve against the document URL
BOZO_RSS = sample("bozo.xml")  # an undefined entity and a bare ampersand: recoverable
HTML_PAGE = sample("not-a-feed.html")
OPML = sample("subscriptions.opml")

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
SHARED_LINK = "https://news.example.org/2024/05/shared-story"
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"


def _rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{title}</title><link>https://{title.lower()}.example.org/</link>",
    ]
    for guid, link, item_title in items:
        parts.append(
            f"<item><title>{item_title}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{guid}</guid>'
            "<pubDate>Thu, 02 May 2024 07:00:00 GMT</pubDate></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


SHARED_A = _rss(
    "Alpha",
    [("a-1", "https://alpha.example.org/a1", "Alpha only"), (SHARED_LINK, SHARED_LINK, "Shared")],
)
SHARED_B = _rss(
    "Beta",
    [(SHARED_LINK, SHARED_LINK, "Shared"), ("b-1", "https://beta.example.org/b1", "Beta only")],
)


GARBAGE = bytes(range(256)) * 4 + b"\x00\xff garbage \x89PNG not xml at all"

CP1251_TEXT = (
    "Правительство объявило о новых мерах поддержки малого бизнеса. "
    "Министр экономики заявил журналистам, что программа начнёт работать уже в июне, "
    "а заявки можно будет подать через портал государственных услуг. "
    "Эксперты считают, что решение поможет тысячам предпринимателей в регионах."
)
CP1251_PAGE = (
    "<!doctype html><html><head><title>Новости экономики</title></head><body>"
    f"<h1>Новости экономики</h1><p>{CP1251_TEXT}</p><p>{CP1251_TEXT}</p></body></html>"
).encode("cp1251")


@functools.cache
def _gzip_member() -> bytes:
    return gzip.compress(bytes(16 * 1024 * 1024), compresslevel=9)


def _gzip_bomb() -> Iterator[bytes]:
    """~1 GiB of zeros as 64 concatenated gzip members (~1 MiB on the wire), lazily."""
    member = _gzip_member()
    for _ in range(64):
        yield member


def _brotli_bomb() -> Iterator[bytes]:
    """~1 GiB of zeros brotli-compressed while streaming (stops when the client hangs up)."""
    comp = brotli.Compressor(quality=1)
    block = bytes(1024 * 1024)
    for _ in range(1024):
        out = comp.process(block) + comp.flush()
        if out:
            yield out
    yield comp.finish()


def _endless(total: int = 256 * 1024 * 1024, chunk: int = 64 * 1024) -> Iterator[bytes]:
    block = b"<p>" + b"x" * (chunk - 7) + b"</p>"
    for _ in range(total // chunk):
        yield block


def _etag_route(req: SeenRequest, server: HostileServer) -> Reply:
    headers = {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}
    if req.headers.get("if-none-match") == '"v1"' or (
        "if-none-match" not in req.headers and req.headers.get("if-modified-since") == LAST_MODIFIED
    ):
        return Reply(304, b"", content_type=None, headers=headers)
    return Reply(200, RSS2, RSS_TYPE, headers)


def _stale_route(req: SeenRequest, server: HostileServer) -> Reply:
    # Always the same validators, but the body changes and conditionals are ignored.
    n = server.count("stale")
    body = RSS2.replace(
        b"<description>Test feed</description>", f"<description>v{n}</description>".encode()
    )
    return Reply(200, body, RSS_TYPE, {"ETag": '"same"', "Last-Modified": LAST_MODIFIED})


def _flaky_429(req: SeenRequest, server: HostileServer) -> Reply:
    if server.count("flaky429") == 1:
        return Reply(429, b"slow down", headers={"Retry-After": "1"})
    return Reply(200, RSS2, RSS_TYPE)


def _flaky_long(req: SeenRequest, server: HostileServer) -> Reply:
    if server.count("flakylong") == 1:
        return Reply(429, b"slow down", headers={"Retry-After": "3600"})
    return Reply(200, RSS2, RSS_TYPE)


def _flaky_date(req: SeenRequest, server: HostileServer) -> Reply:
    import email.utils

    if server.count("flakydate") == 1:
        when = email.utils.formatdate(time.time() + 30, usegmt=True)
        return Reply(503, b"maintenance", headers={"Retry-After": when})
    return Reply(200, RSS2, RSS_TYPE)


def _chain(req: SeenRequest, server: HostileServer) -> Reply:
    n = int(req.route.rsplit("/", 1)[1] or 0)
    return Reply(302, b"", headers={"Location": f"/redirect/chain/{n + 1}"})


def _slow_ok(req: SeenRequest, server: HostileServer) -> Reply:
    return Reply(200, b"<html><body>slow</body></html>", "text/html", delay=0.25)


def hostile_routes() -> dict[str, Route]:
    """The default catalogue: one route per case the fetcher and parser must survive."""
    return {
        "/robots.txt": Reply(
            200, b"User-agent: *\nDisallow: /private/\n\nUser-agent: badbot\nDisallow: /\n"
        ),
        # feeds
        "/feeds/rss2": Reply(200, RSS2, RSS_TYPE),
        "/feeds/rss1": Reply(200, RSS1, "application/rdf+xml"),
        "/feeds/atom": Reply(200, ATOM, ATOM_TYPE),
        "/feeds/atom-relative": Reply(200, ATOM_NO_BASE, ATOM_TYPE),
        "/feeds/shared-a": Reply(200, SHARED_A, RSS_TYPE),
        "/feeds/shared-b": Reply(200, SHARED_B, RSS_TYPE),
        "/feeds/bozo": Reply(200, BOZO_RSS, "text/xml"),
        "/feeds/etag": _etag_route,
        "/feeds/stale": _stale_route,
        "/feeds/not-xml": Reply(200, HTML_PAGE, "text/html; charset=utf-8"),
        "/feeds/json": Reply(200, b'{"error": "no feed here"}', "application/json"),
        "/feeds/garbage": Reply(200, GARBAGE, "text/plain"),
        "/feeds/gzip": Reply(200, gzip.compress(RSS2), RSS_TYPE, {"Content-Encoding": "gzip"}),
        "/feeds/deflate": Reply(
            200, zlib.compress(RSS2), RSS_TYPE, {"Content-Encoding": "deflate"}
        ),
        "/feeds/raw-deflate": Reply(
            200,
            zlib.compress(RSS2, wbits=-15),
            RSS_TYPE,
            {"Content-Encoding": "deflate"},
        ),
        "/feeds/br": Reply(200, brotli.compress(RSS2), RSS_TYPE, {"Content-Encoding": "br"}),
        "/feeds/corrupt-gzip": Reply(
            200, b"\x1f\x8b\x08\x00garbage-not-gzip", RSS_TYPE, {"Content-Encoding": "gzip"}
        ),
        "/opml": Reply(200, OPML, "text/x-opml"),
        # hostile bodies
        "/bomb/gzip": Reply(
            200, _gzip_bomb, RSS_TYPE, {"Content-Encoding": "gzip"}, content_length=False
        ),
        "/bomb/br": Reply(200, _brotli_bomb, RSS_TYPE, {"Content-Encoding": "br"}),
        "/big/stream": Reply(200, _endless, "text/html"),
        "/big/declared": Reply(
            200, _endless, "text/html", {"Content-Length": str(256 * 1024 * 1024)}
        ),
        # redirects
        "/redirect/ok": Reply(301, b"", headers={"Location": "/feeds/rss2"}),
        "/redirect/relative": Reply(302, b"", headers={"Location": "../feeds/atom"}),
        "/redirect/loop-a": Reply(302, b"", headers={"Location": "/redirect/loop-b"}),
        "/redirect/loop-b": Reply(302, b"", headers={"Location": "/redirect/loop-a"}),
        "/redirect/chain/*": _chain,
        "/redirect/private": Reply(302, b"", headers={"Location": "http://10.0.0.1/feed"}),
        "/redirect/metadata": Reply(
            302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        ),
        "/redirect/file": Reply(302, b"", headers={"Location": "file:///etc/passwd"}),
        "/redirect/robots": Reply(302, b"", headers={"Location": "/private/secret"}),
        "/private/*": Reply(200, b"<html>secret</html>", "text/html"),
        # flaky / slow
        "/flaky/429": _flaky_429,
        "/flaky/429-long": _flaky_long,
        "/flaky/503-date": _flaky_date,
        "/flaky/503": Reply(503, b"down", headers={"Retry-After": "0"}),
        "/slow/headers": Reply(200, RSS2, RSS_TYPE, delay=3.0),
        "/slow/drip": Reply(200, lambda: (b"x" for _ in range(400)), "text/html", chunk_delay=0.02),
        "/slow/ok": _slow_ok,
        "/drop": Reply(drop=True),
        # pages
        "/pages/cp1251": Reply(200, CP1251_PAGE, "text/html"),
        "/pages/plain": Reply(200, b"plain text article", "text/plain"),
        "/pages/image": Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
        "/pages/untyped": Reply(200, b"<html><body>no type</body></html>", content_type=None),
        "/gone": Reply(410, b"gone"),
        "/server-error": Reply(500, b"boom"),
    }


def only_loopback(monkeypatch: Any) -> list[tuple[str, int]]:
    """Record every TCP connection httpcore opens and refuse any not to 127.0.0.1.

    Use in tests as a safety net: whatever the code under test does, no packet leaves
    the loopback interface.  Returns the list of ``(host, port)`` actually connected.
    """
    import httpcore

    seen: list[tuple[str, int]] = []
    original = httpcore.SyncBackend.connect_tcp

    def guarded(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host != "127.0.0.1":
            raise AssertionError(f"test tried to connect to {host}:{port}")
        seen.append((host, port))
        return original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", guarded)
    return seen
