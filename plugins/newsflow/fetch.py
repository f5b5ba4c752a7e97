"""Polite, safe HTTP fetching for feeds and article pages.

:class:`Fetcher` wraps one ``httpx.Client`` and adds everything a crawler owes the sites
it visits and the machine it runs on:

* **SSRF guard** (:func:`check_target`): only ``http``/``https``; every address a host
  resolves to must be public (no loopback, private, link-local, multicast, reserved,
  unspecified or cloud-metadata address) unless allowed by ``settings.http_allowlist``.
  Checked before every hop (redirects included) *and again at connect time*: the socket
  is opened to the very address that passed the check (a guarded httpcore network
  backend), so a DNS answer that changes between check and connect (DNS rebinding) cannot
  reach a blocked address.  Environment proxies are ignored (``trust_env=False``).
* **robots.txt** (``urllib.robotparser``), fetched with the same client and guard, cached
  per origin (scheme, host, port) with a TTL.  RFC 9309: 4xx = allow all, 5xx (and 429) =
  disallow all, unreachable = allow all.  ``Crawl-delay`` raises the per-host interval
  (capped).
* **politeness**: at least ``host_min_interval`` seconds between two requests to one host
  (thread-safe slot reservation), bounded concurrency in :meth:`Fetcher.fetch_many`.
* **retries** with exponential backoff and jitter on 408/429/5xx-ish statuses and
  connection errors; ``Retry-After`` (seconds or HTTP date) honoured but capped.
* **timeouts**: connect, read (per socket read, also the wait for headers) and a total
  deadline per exchange enforced while the body streams.
* **size caps**: ``Content-Length`` checked up front, the body counted while it streams;
  ``gzip``/``deflate``/``br`` decoded here with a cap on the *decompressed* size
  (decompression-bomb protection).
* manual **redirects** (limit 5) with loop detection, **content-type** allow-lists and
  **conditional GET** (``If-None-Match``/``If-Modified-Since`` -> ``not-modified``).

:meth:`Fetcher.fetch` never raises for network problems: every result carries an
``outcome`` from :data:`OUTCOMES`.

Known limits (residual risks):

* Connection pinning swaps the network backend of httpx's connection pool
  (``transport._pool._network_backend``, not public API); if a future httpx/httpcore
  drops that attribute, :class:`Fetcher` refuses to start rather than run unpinned.
* ``urllib.robotparser`` ignores the RFC 9309 ``*``/``$`` path wildcards, applies the
  first matching rule (not the longest) and reads only whole-second ``Crawl-delay``.
* The robots.txt request counts against the per-host interval like any other request.
* Read timeouts are not retried by default (``retry_timeouts=True`` to change that);
  connect timeouts and connection errors are.
* A body that fails to decode (corrupt gzip/br) is reported as ``connection-error``.
"""

from __future__ import annotations

import email.utils
import ipaddress
import random
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import brotli
import httpcore
import httpx

from newsflow.decode import decode_text
from newsflow.settings import Settings, get_settings

OUTCOMES = (
    "ok",
    "not-modified",
    "http-error",
    "timeout",
    "too-large",
    "redirect-loop",
    "too-many-redirects",
    "blocked-ssrf",
    "blocked-robots",
    "bad-content-type",
    "decompression-bomb",
    "connection-error",
)

# Content types a caller may accept.  Patterns: exact "type/subtype", "type/*", or "+xml"
# (any structured-syntax XML type).  A response without Content-Type is always accepted.
FEED_CONTENT_TYPES: tuple[str, ...] = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "+xml",
    "text/*",
)
PAGE_CONTENT_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data"}
)
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),  # ECS task metadata
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least the first 500 KiB
_CHUNK = 64 * 1024


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes | None = None  # decoded (decompressed) body, only for 'ok'
    content_type: str | None = None  # media type, lower case, no parameters
    charset: str | None = None  # from the Content-Type header only
    elapsed_s: float = 0.0  # wall clock for the whole fetch (waits and retries included)
    redirects: list[str] = field(default_factory=list)  # every URL redirected to, in order
    outcome: str = "ok"
    error: str | None = None
    retries: int = 0
    raw_bytes: int = 0  # bytes read off the wire (still compressed)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def not_modified(self) -> bool:
        return self.outcome == "not-modified"

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self) -> str:
        """The body as text (header charset, BOM, in-document declaration, detection)."""
        if self.body is None:
            return ""
        return decode_text(self.body, self.charset)


class _Blocked(Exception):
    """The SSRF guard refused a target (raised at check or connect time)."""


class _Unresolvable(Exception):
    """The host name does not resolve."""


class _Overflow(Exception):
    """Decoded output went past the cap."""


# --------------------------------------------------------------------------------------
# SSRF guard
# --------------------------------------------------------------------------------------


class Allowlist:
    """Host names (exact or ``*.suffix``), IP addresses and CIDR networks let through."""

    def __init__(self, entries: Iterable[str] = ()):
        self.names: set[str] = set()
        self.suffixes: list[str] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("*."):
                self.suffixes.append(entry[1:])
            else:
                self.names.add(entry)

    def allows_name(self, host: str) -> bool:
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def allows_address(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


def _address_label(address: str) -> str | None:
    """What makes a literal address forbidden ("a private address"...), None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for attr, label in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attr):
            return f"a {label} address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def address_problem(address: str) -> str | None:
    """Why connecting to this literal IP address is refused (None when it is public)."""
    label = _address_label(address)
    if label == "not an IP address":
        return f"{address!r} is not an IP address"
    return f"{address} is {label}" if label else None


def _vet_host(host: str, port: int, allow: Allowlist) -> list[str]:
    """Resolve ``host`` and return its addresses if every one is acceptable.

    Raises :class:`_Blocked` (refused) or :class:`_Unresolvable` (DNS failure).
    """
    host = _normalise_host(host)
    if not host:
        raise _Blocked("URL has no host")
    if host in METADATA_HOSTS:
        raise _Blocked(f"{host} is a cloud metadata host")
    name_allowed = allow.allows_name(host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise _Unresolvable(f"cannot resolve {host}: {exc}") from exc
    addresses: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise _Unresolvable(f"{host} resolves to no address")
    for addr in addresses:
        try:
            ip = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError as exc:
            raise _Blocked(f"{host} resolves to unparseable address {addr!r}") from exc
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if ip in METADATA_ADDRESSES or mapped in METADATA_ADDRESSES:
            raise _Blocked(
                f"{addr} is a cloud metadata address"
                if host == addr
                else f"{host} resolves to cloud metadata address {addr}"
            )
        if name_allowed or allow.allows_address(ip) or (mapped and allow.allows_address(mapped)):
            continue
        label = _address_label(addr)
        if label:
            raise _Blocked(
                f"{addr} is {label}" if host == addr else f"{host} resolves to {addr} ({label})"
            )
    return addresses


def _split_target(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _Blocked(f"scheme {scheme or '(none)'!r} is not allowed")
    host = parts.hostname
    if not host:
        raise _Blocked("URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise _Blocked(f"invalid port in {url!r}") from exc
    return scheme, host, port


def check_target(url: str, allowlist: Iterable[str] | Allowlist = ()) -> str | None:
    """Return why ``url`` must not be fetched, or None when it is safe.

    Resolves the host (``getaddrinfo``, every address) but never connects.  A host that
    does not resolve is refused as well ("cannot resolve ...").
    """
    allow = allowlist if isinstance(allowlist, Allowlist) else Allowlist(allowlist)
    try:
        _scheme, host, port = _split_target(url)
        _vet_host(host, port, allow)
    except (_Blocked, _Unresolvable) as exc:
        return str(exc)
    return None


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore network backend that vets the resolved addresses and connects to them.

    The host name stays in the URL (so TLS SNI, certificate checks and connection pooling
    work per host) while the socket goes to an address that passed the guard.
    """

    def __init__(self, allow: Allowlist):
        self._allow = allow
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _vet_host(host, port, self._allow)
        except _Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for addr in addresses:
            try:
                return self._inner.connect_tcp(
                    addr,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise _Blocked("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# --------------------------------------------------------------------------------------
# Content decoding with a decompressed-size cap
# --------------------------------------------------------------------------------------


class _Decoder:
    """Incremental decoder for one Content-Encoding with an output cap."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self.consumed = 0  # input bytes consumed so far
        self._first = True
        self._z: Any = None
        self._br: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding == "br":
            self._br = brotli.Decompressor()
        else:
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def _room(self) -> int:
        return max(1, min(self.limit - self.produced + 1, _CHUNK * 16))

    def _emit(self, out: list[bytes], piece: bytes) -> None:
        if piece:
            self.produced += len(piece)
            out.append(piece)
            if self.produced > self.limit:
                raise _Overflow()

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        if self._br is not None:
            # Small slices keep the consumed-input count (for the bomb ratio) precise.
            for start in range(0, len(data), 256):
                piece = data[start : start + 256]
                self.consumed += len(piece)
                self._emit(out, self._br.process(piece, output_buffer_limit=self._room()))
                while not self._br.can_accept_more_data():
                    self._emit(out, self._br.process(b"", output_buffer_limit=self._room()))
            return b"".join(out)
        pending = data
        while pending:
            try:
                piece = self._z.decompress(pending, self._room())
            except zlib.error:
                if self._first and self.encoding == "deflate":
                    # Some servers send raw deflate without the zlib wrapper.
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise
            self._first = False
            left = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")
            self.consumed += len(pending) - len(left)
            self._emit(out, piece)
            if self._z.unconsumed_tail:
                pending = self._z.unconsumed_tail
            elif self._z.eof and self._z.unused_data:
                # Concatenated gzip members (RFC 1952 allows several).
                pending = self._z.unused_data
                if self.encoding in ("gzip", "x-gzip"):
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    break  # trailing garbage after a deflate stream: ignore
            else:
                pending = b""
        return b"".join(out)

    def flush(self) -> bytes:
        out: list[bytes] = []
        if self._z is not None:
            self._emit(out, self._z.flush())
        elif self._br is not None and not self._br.is_finished():
            # A truncated brotli stream: tolerate like browsers do (body is what we got).
            pass
        return b"".join(out)


class _DecoderChain:
    def __init__(self, encodings: list[str], limit: int):
        # Content-Encoding lists codings in the order applied: undo them in reverse.
        self.decoders = [_Decoder(e, limit) for e in reversed(encodings)]

    @property
    def consumed(self) -> int:
        return self.decoders[0].consumed

    @property
    def produced(self) -> int:
        return self.decoders[-1].produced

    def feed(self, data: bytes) -> bytes:
        for d in self.decoders:
            data = d.feed(data) if data else b""
        return data

    def flush(self) -> bytes:
        data = b""
        for d in self.decoders:
            data = (d.feed(data) if data else b"") + d.flush()
        return data


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    parts = header.split(";")
    media = parts[0].strip().lower() or None
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media, charset


def content_type_allowed(media: str | None, accept: Sequence[str] | None) -> bool:
    if accept is None or media is None:
        return True
    major = media.split("/", 1)[0]
    for pattern in accept:
        pattern = pattern.lower()
        if pattern == "*/*" or pattern == media:
            return True
        if pattern.endswith("/*") and pattern[:-2] == major:
            return True
        if pattern.startswith("+") and media.endswith(pattern):
            return True
    return False


def _accept_header(accept: Sequence[str] | None) -> str:
    if not accept:
        return "*/*"
    listed = [a for a in accept if "/" in a]
    return ", ".join([*listed, "*/*;q=0.1"])


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def _strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


@dataclass
class _RobotsEntry:
    expires: float
    mode: str  # 'rules', 'allow', 'disallow'
    parser: RobotFileParser | None = None
    crawl_delay: float | None = None
    note: str | None = None


@dataclass
class _Hop:
    """Internal result of one HTTP exchange."""

    result: FetchResult
    location: str | None = None  # set for a redirect
    retryable: bool = False
    retry_after: float | None = None


# --------------------------------------------------------------------------------------
# Fetcher
# --------------------------------------------------------------------------------------


class Fetcher:
    """Thread-safe polite fetcher; one per task, close it (or use ``with``) when done."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        user_agent: str | None = None,
        host_min_interval: float | None = None,
        fetch_concurrency: int | None = None,
        http_allowlist: Iterable[str] | None = None,
        max_document_bytes: int | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_tries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_cap: float = 60.0,
        retry_timeouts: bool = False,
        max_redirects: int = 5,
        respect_robots: bool = True,
        robots_ttl: float = 3600.0,
        robots_error_ttl: float = 300.0,
        max_crawl_delay: float = 30.0,
        bomb_ratio: float = 100.0,
        sleep: Callable[[float], None] = time.sleep,
        host_slots: Callable[[str, float], float] | None = None,
    ):
        if settings is None:
            settings = get_settings()
        self.user_agent = user_agent or settings.user_agent
        self.host_min_interval = float(
            settings.host_min_interval if host_min_interval is None else host_min_interval
        )
        self.concurrency = max(
            1, int(settings.fetch_concurrency if fetch_concurrency is None else fetch_concurrency)
        )
        self.allowlist = Allowlist(
            settings.http_allowlist if http_allowlist is None else http_allowlist
        )
        self.max_bytes = int(
            settings.max_document_bytes if max_document_bytes is None else max_document_bytes
        )
        self.total_timeout = total_timeout
        self.max_tries = max(1, max_tries)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_cap = retry_after_cap
        self.retry_timeouts = retry_timeouts
        self.max_redirects = max_redirects
        self.respect_robots = respect_robots
        self.robots_ttl = robots_ttl
        self.robots_error_ttl = robots_error_ttl
        self.max_crawl_delay = max_crawl_delay
        self.bomb_ratio = bomb_ratio
        self._sleep = sleep
        # Optional shared reservation (host, interval) -> seconds to wait, e.g. a Postgres row
        # per host, so that politeness holds across worker processes, not just threads.
        self._host_slots = host_slots

        transport = httpx.HTTPTransport(retries=0)
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):  # pragma: no cover
            raise RuntimeError("httpx/httpcore internals changed: cannot pin connections")
        pool._network_backend = _GuardedBackend(self.allowlist)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=connect_timeout,
                read=min(read_timeout, total_timeout),
                write=min(read_timeout, total_timeout),
                pool=total_timeout,
            ),
            limits=httpx.Limits(
                max_connections=self.concurrency * 2 + 2,
                max_keepalive_connections=self.concurrency * 2,
            ),
        )

        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, _RobotsEntry] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API ------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Sequence[str] | None = FEED_CONTENT_TYPES,
    ) -> FetchResult:
        """Fetch ``url``; never raises for network problems (see ``FetchResult.outcome``).

        ``accept`` lists the acceptable content types (:data:`FEED_CONTENT_TYPES`,
        :data:`PAGE_CONTENT_TYPES`, or None for anything).
        """
        started = time.monotonic()
        headers = {
            "User-Agent": self.user_agent,
            "Accept": _accept_header(accept),
            "Accept-Encoding": "gzip, deflate, br",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            hop = self._follow(url, headers, accept, self.max_bytes, robots=self.respect_robots)
            if not hop.retryable or attempt >= self.max_tries:
                break
            self._sleep(self._retry_delay(attempt, hop.retry_after))
        result = hop.result
        result.retries = attempt - 1
        result.elapsed_s = time.monotonic() - started
        return result

    def fetch_many(
        self,
        urls: Sequence[str],
        *,
        accept: Sequence[str] | None = PAGE_CONTENT_TYPES,
        validators: dict[str, tuple[str | None, str | None]] | None = None,
    ) -> list[FetchResult]:
        """Fetch ``urls`` with at most ``fetch_concurrency`` in flight; results in order.

        ``validators`` maps a URL to its ``(etag, last_modified)`` for conditional GETs.
        """
        if not urls:
            return []
        validators = validators or {}

        def one(u: str) -> FetchResult:
            etag, modified = validators.get(u, (None, None))
            return self.fetch(u, etag=etag, last_modified=modified, accept=accept)

        with ThreadPoolExecutor(
            max_workers=min(self.concurrency, len(urls)), thread_name_prefix="newsflow-fetch"
        ) as pool:
            return list(pool.map(one, urls))

    def robots_allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s origin lets this user agent fetch it."""
        return self._robots_verdict(url)[0]

    # -- internals -------------------------------------------------------------------

    def _robots_verdict(self, url: str) -> tuple[bool, _RobotsEntry]:
        entry = self._robots_entry(url)
        if entry.mode == "allow":
            return True, entry
        if entry.mode == "disallow":
            return False, entry
        assert entry.parser is not None
        return entry.parser.can_fetch(self.user_agent, url), entry

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(0.0, retry_after), self.retry_after_cap)
        backoff = self.backoff_base * (2 ** (attempt - 1))
        backoff += random.uniform(0, self.backoff_base)
        return min(backoff, self.backoff_max)

    def _wait_for_host(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        interval = self.host_min_interval
        entry = self._robots.get(_origin(url))
        if entry is not None and entry.crawl_delay:
            interval = max(interval, min(entry.crawl_delay, self.max_crawl_delay))
        if interval <= 0:
            return
        if self._host_slots is not None:
            delay = self._host_slots(host, interval)
            if delay > 0:
                self._sleep(delay)
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)

    def _robots_entry(self, url: str) -> _RobotsEntry:
        origin = _origin(url)
        with self._lock:
            entry = self._robots.get(origin)
            if entry is not None and entry.expires > time.monotonic():
                return entry
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            with self._lock:
                entry = self._robots.get(origin)
                if entry is not None and entry.expires > time.monotonic():
                    return entry
            entry = self._load_robots(origin)
            with self._lock:
                self._robots[origin] = entry
            return entry

    def _load_robots(self, origin: str) -> _RobotsEntry:
        scheme = origin.split(":", 1)[0]
        default_port = ":443" if scheme == "https" else ":80"
        robots_url = origin[: -len(default_port)] if origin.endswith(default_port) else origin
        robots_url += "/robots.txt"
        headers = {"User-Agent": self.user_agent, "Accept": "text/plain, */*;q=0.1"}
        headers["Accept-Encoding"] = "gzip, deflate, br"
        hop = self._follow(robots_url, headers, None, ROBOTS_MAX_BYTES, robots=False, truncate=True)
        res = hop.result
        now = time.monotonic()
        if res.outcome == "ok":
            parser = RobotFileParser(robots_url)
            text = decode_text(res.body or b"", res.charset)
            parser.parse(text.splitlines())
            delay = parser.crawl_delay(self.user_agent)
            return _RobotsEntry(
                now + self.robots_ttl,
                "rules",
                parser,
                float(delay) if delay is not None else None,
            )
        if res.outcome == "http-error" and res.status is not None:
            if res.status >= 500 or res.status == 429:
                return _RobotsEntry(
                    now + self.robots_error_ttl,
                    "disallow",
                    note=f"robots.txt returned HTTP {res.status}",
                )
            return _RobotsEntry(now + self.robots_ttl, "allow", note=f"HTTP {res.status}")
        # Unreachable (connection error, timeout, refused by the guard, redirect trouble...)
        return _RobotsEntry(
            now + self.robots_error_ttl, "allow", note=f"robots.txt unreachable: {res.outcome}"
        )

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        accept: Sequence[str] | None,
        max_bytes: int,
        *,
        robots: bool,
        truncate: bool = False,
    ) -> _Hop:
        current = url
        seen = {_strip_fragment(url)}
        redirects: list[str] = []

        def finish(hop: _Hop) -> _Hop:
            hop.result.url = url
            hop.result.final_url = current
            hop.result.redirects = list(redirects)
            return hop

        while True:
            try:
                _scheme, host, port = _split_target(current)
                _vet_host(host, port, self.allowlist)
            except _Blocked as exc:
                return finish(
                    _Hop(FetchResult(url, current, outcome="blocked-ssrf", error=str(exc)))
                )
            except _Unresolvable as exc:
                return finish(
                    _Hop(
                        FetchResult(url, current, outcome="connection-error", error=str(exc)),
                        retryable=True,
                    )
                )
            if robots:
                allowed, entry = self._robots_verdict(current)
                if not allowed:
                    why = entry.note or "disallowed by robots.txt"
                    return finish(
                        _Hop(FetchResult(url, current, outcome="blocked-robots", error=why))
                    )
            self._wait_for_host(current)
            hop = self._exchange(current, headers, accept, max_bytes, truncate)
            if hop.location is None:
                return finish(hop)
            target = urljoin(current, hop.location.strip())
            key = (
                _strip_fragment(target) if urlsplit(target).scheme in ("http", "https") else target
            )
            if key in seen:
                redirects.append(target)
                hop.result.outcome = "redirect-loop"
                hop.result.error = f"redirect loop back to {target}"
                return finish(hop)
            if len(redirects) >= self.max_redirects:
                hop.result.outcome = "too-many-redirects"
                hop.result.error = f"more than {self.max_redirects} redirects"
                return finish(hop)
            seen.add(key)
            redirects.append(target)
            current = target

    def _exchange(
        self,
        url: str,
        headers: dict[str, str],
        accept: Sequence[str] | None,
        max_bytes: int,
        truncate: bool,
    ) -> _Hop:
        res = FetchResult(url, url)
        deadline = time.monotonic() + self.total_timeout
        try:
            request = self._client.build_request("GET", url, headers=headers)
            response = self._client.send(request, stream=True)
        except _Blocked as exc:
            res.outcome, res.error = "blocked-ssrf", str(exc)
            return _Hop(res)
        except httpx.ConnectTimeout as exc:
            res.outcome, res.error = "timeout", f"connect timeout: {exc or 'no answer'}"
            return _Hop(res, retryable=True)
        except httpx.TimeoutException as exc:
            res.outcome, res.error = "timeout", f"{type(exc).__name__}: {exc or 'timed out'}"
            return _Hop(res, retryable=self.retry_timeouts)
        except (httpx.HTTPError, OSError) as exc:
            res.outcome = "connection-error"
            res.error = f"{type(exc).__name__}: {exc or 'connection failed'}"
            return _Hop(res, retryable=True)
        except (ValueError, UnicodeError) as exc:  # malformed URL that slipped through
            res.outcome, res.error = "connection-error", f"invalid URL: {exc}"
            return _Hop(res)
        try:
            return self._read(response, res, accept, max_bytes, truncate, deadline)
        except httpx.TimeoutException as exc:
            res.outcome, res.error = "timeout", f"{type(exc).__name__}: {exc or 'timed out'}"
            res.body = None
            return _Hop(res, retryable=self.retry_timeouts)
        except (httpx.HTTPError, OSError) as exc:
            res.outcome = "connection-error"
            res.error = f"{type(exc).__name__}: {exc or 'connection broken'}"
            res.body = None
            return _Hop(res, retryable=True)
        finally:
            response.close()

    def _read(
        self,
        response: httpx.Response,
        res: FetchResult,
        accept: Sequence[str] | None,
        max_bytes: int,
        truncate: bool,
        deadline: float,
    ) -> _Hop:
        res.status = response.status_code
        res.headers = {k.lower(): v for k, v in response.headers.items()}
        res.content_type, res.charset = _media_type(res.headers.get("content-type"))
        status = response.status_code

        if status in REDIRECT_STATUSES:
            location = res.headers.get("location")
            if location:
                res.outcome = "http-error"  # replaced by the caller when it gives up
                return _Hop(res, location=location)
            res.outcome, res.error = "http-error", f"HTTP {status} without Location"
            return _Hop(res)
        if status == 304:
            res.outcome = "not-modified"
            return _Hop(res)
        if not 200 <= status < 300:
            res.outcome = "http-error"
            res.error = f"HTTP {status} {response.reason_phrase}".strip()
            retry_after = parse_retry_after(res.headers.get("retry-after"))
            return _Hop(res, retryable=status in RETRY_STATUSES, retry_after=retry_after)
        if not content_type_allowed(res.content_type, accept):
            res.outcome = "bad-content-type"
            res.error = f"content type {res.content_type!r} not accepted"
            return _Hop(res)

        declared = res.headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > max_bytes and not truncate:
            res.outcome = "too-large"
            res.error = f"Content-Length {declared} exceeds the {max_bytes}-byte cap"
            return _Hop(res)

        encodings = [
            e.strip().lower()
            for e in res.headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        try:
            decoder = _DecoderChain(encodings, max_bytes) if encodings else None
        except ValueError as exc:
            res.outcome, res.error = "bad-content-type", str(exc)
            return _Hop(res)

        body = bytearray()
        raw_total = 0
        try:
            for chunk in response.iter_raw():
                raw_total += len(chunk)
                res.raw_bytes = raw_total
                if time.monotonic() > deadline:
                    res.outcome = "timeout"
                    res.error = f"body not complete within {self.total_timeout:g} s"
                    return _Hop(res, retryable=self.retry_timeouts)
                if decoder is None:
                    body += chunk
                    if len(body) > max_bytes:
                        if truncate:
                            del body[max_bytes:]
                            break
                        res.outcome = "too-large"
                        res.error = f"body exceeds the {max_bytes}-byte cap"
                        return _Hop(res)
                    continue
                if raw_total > max_bytes and not truncate:
                    res.outcome = "too-large"
                    res.error = f"compressed body exceeds the {max_bytes}-byte cap"
                    return _Hop(res)
                body += decoder.feed(chunk)
            if decoder is not None:
                body += decoder.flush()
        except _Overflow:
            assert decoder is not None
            consumed = max(decoder.consumed, 1)
            ratio = decoder.produced / consumed
            if truncate:
                del body[max_bytes:]
            elif ratio > self.bomb_ratio:
                res.outcome = "decompression-bomb"
                res.error = (
                    f"decompressed body exceeds {max_bytes} bytes after {consumed} "
                    f"compressed bytes (ratio {ratio:.0f}:1)"
                )
                return _Hop(res)
            else:
                res.outcome = "too-large"
                res.error = f"decompressed body exceeds the {max_bytes}-byte cap"
                return _Hop(res)
        except (zlib.error, brotli.error) as exc:
            res.outcome = "connection-error"
            res.error = f"content decoding failed ({', '.join(encodings)}): {exc}"
            return _Hop(res)
        res.body = bytes(body)
        res.outcome = "ok"
        return _Hop(res)
