"""The polite, safe HTTP client for feeds and article pages.

:class:`Fetcher` wraps one ``httpx.Client`` and adds what a crawler owes the sites it visits
and the machine it runs on: the SSRF guard on every hop and at connect time
(:mod:`~newsflow.fetch.guard`), robots.txt shared by every worker
(:mod:`~newsflow.fetch.robots`, :mod:`~newsflow.fetch.shared`), a minimum interval per host
(also shared), bounded concurrency, retries with backoff and jitter on 408/429/5xx and
connection errors (``Retry-After`` honoured but capped), one wall-clock budget per request
(:mod:`~newsflow.fetch.budget`), size caps checked up front and while streaming,
decompression-bomb protection (:mod:`~newsflow.fetch.decoding`), manual redirects with loop
detection, content-type allow-lists and conditional GET. Every tunable is a setting
(``NEWSFLOW_FETCH_*``, ``NEWSFLOW_ROBOTS_*``).

:meth:`Fetcher.fetch` never raises for network problems: every result carries an
``outcome`` from :data:`~newsflow.fetch.result.OUTCOMES`.

Known limits: connection pinning swaps the network backend of httpx's connection pool
(``transport._pool._network_backend``, not public API); if httpx/httpcore drop that
attribute, :class:`Fetcher` refuses to start rather than run unpinned. Timeouts are not
retried within a fetch (a later poll tries again). A body that fails to decode (corrupt
gzip/br) is reported as ``connection-error``. The robots.txt request counts against the
per-host interval like any other request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import brotli
import httpx

from newsflow.decode import decode_text
from newsflow.fetch import budget, robots
from newsflow.fetch import robots as robots_module
from newsflow.fetch.decoding import DecoderChain, Overflow
from newsflow.fetch.guard import Allowlist, Blocked, GuardedBackend, Unresolvable, split_target
from newsflow.fetch.guard import vet_host as _vet_host
from newsflow.fetch.result import (
    FEED_CONTENT_TYPES,
    PAGE_CONTENT_TYPES,
    REDIRECT_STATUSES,
    RETRY_STATUSES,
    FetchResult,
    accept_header,
    content_type_allowed,
    media_type,
    parse_retry_after,
    strip_fragment,
)
from newsflow.fetch.shared import MemoryShared, SharedState
from newsflow.settings import Settings, get_settings

Validators = Mapping[str, tuple[str | None, str | None]]

log = logging.getLogger(__name__)


@dataclass
class _Hop:
    """Internal result of one HTTP exchange."""

    result: FetchResult
    location: str | None = None  # set for a redirect
    retryable: bool = False
    retry_after: float | None = None


class Fetcher:
    """Thread-safe polite fetcher; one per task, close it (or use ``with``) when done.

    ``shared`` holds the per-host slots and robots.txt records: :class:`PostgresShared
    <newsflow.fetch.shared.PostgresShared>` in tasks (shared by every worker), a private
    in-process one by default.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        shared: SharedState | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        s = settings or get_settings()
        self.settings = s
        self.user_agent = s.user_agent
        self.host_min_interval = float(s.host_min_interval)
        self.concurrency = max(1, int(s.fetch_concurrency))
        self.allowlist = Allowlist(s.http_allowlist)
        self.max_bytes = int(s.max_document_bytes)
        self.request_budget = float(s.fetch_request_budget)
        self.max_tries = max(1, int(s.fetch_max_tries))
        self.max_redirects = int(s.fetch_max_redirects)
        self.respect_robots = bool(s.robots_respect)
        self._sleep = sleep
        self.shared: SharedState = shared if shared is not None else MemoryShared()

        transport = httpx.HTTPTransport(retries=0)
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):  # pragma: no cover
            raise RuntimeError("httpx/httpcore internals changed: cannot pin connections")
        pool._network_backend = GuardedBackend(self.allowlist)
        read = min(s.fetch_read_timeout, self.request_budget)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=s.fetch_connect_timeout, read=read, write=read, pool=self.request_budget
            ),
            limits=httpx.Limits(
                max_connections=self.concurrency * 2 + 2,
                max_keepalive_connections=self.concurrency * 2,
            ),
        )
        self._lock = threading.Lock()
        self._robots: dict[str, robots.RobotsEntry] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            "Accept": accept_header(accept),
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
            if (
                hop.retry_after is not None
                and hop.retry_after > self.settings.fetch_retry_after_cap
            ):
                break  # asked to wait longer than a fetch waits: not sooner (the caller may)
            self._sleep(self._retry_delay(attempt, hop.retry_after))
        result = hop.result
        result.retry_after = hop.retry_after
        result.retries = attempt - 1
        result.elapsed_s = time.monotonic() - started
        return result

    def fetch_each(
        self,
        urls: Sequence[str],
        *,
        accept: Sequence[str] | None = PAGE_CONTENT_TYPES,
        validators: Validators | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> Iterator[tuple[int, FetchResult]]:
        """Fetch ``urls`` with at most ``fetch_concurrency`` in flight and yield
        ``(index, result)`` as each completes, so a caller can store one body before the next
        arrives (memory stays bounded by the concurrency, not by the number of URLs).

        ``validators`` maps a URL to its ``(etag, last_modified)`` for conditional GETs;
        ``keep_going`` is asked before each new fetch starts (False: stop starting new ones;
        the indexes never yielded were not fetched).
        """
        if not urls:
            return
        validators = validators or {}

        def one(u: str) -> FetchResult:
            etag, modified = validators.get(u, (None, None))
            try:
                return self.fetch(u, etag=etag, last_modified=modified, accept=accept)
            except Exception as exc:  # one URL's surprise must not end the others' fetches
                log.exception("fetching %s raised", u)
                error = f"internal error: {type(exc).__name__}: {exc}"
                return FetchResult(u, u, outcome="connection-error", error=error)

        window = self.concurrency
        with ThreadPoolExecutor(
            max_workers=min(window, len(urls)), thread_name_prefix="newsflow-fetch"
        ) as pool:
            pending: dict[Future[FetchResult], int] = {}
            queue = iter(range(len(urls)))
            stopped = False
            try:
                while True:
                    while not stopped and len(pending) < window:
                        index = next(queue, None)
                        if index is None or (keep_going is not None and not keep_going()):
                            stopped = True
                            break
                        pending[pool.submit(one, urls[index])] = index
                    if not pending:
                        return
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    for done in finished:
                        yield pending.pop(done), done.result()
            finally:
                for future in pending:
                    future.cancel()

    def fetch_many(
        self,
        urls: Sequence[str],
        *,
        accept: Sequence[str] | None = PAGE_CONTENT_TYPES,
        validators: Validators | None = None,
    ) -> list[FetchResult]:
        """Fetch ``urls`` with at most ``fetch_concurrency`` in flight; results in order."""
        results: dict[int, FetchResult] = dict(
            self.fetch_each(urls, accept=accept, validators=validators)
        )
        return [results[i] for i in range(len(urls))]

    def post_form(self, url: str, fields: Mapping[str, str]) -> FetchResult:
        """POST a form (e.g. a WebSub subscription) through the same guard and budget; no
        redirects, retries or robots.txt (the target asked us to talk to it)."""
        started = time.monotonic()
        try:
            _scheme, host, port = split_target(url)
            _vet_host(host, port, self.allowlist)
        except (Blocked, Unresolvable) as exc:
            outcome = "blocked-ssrf" if isinstance(exc, Blocked) else "connection-error"
            return FetchResult(url, url, outcome=outcome, error=str(exc))
        self._wait_for_host(url)
        headers = {"User-Agent": self.user_agent, "Accept": "*/*"}
        hop = self._exchange(url, headers, None, 64 * 1024, False, data=dict(fields))
        if hop.location is not None:
            hop.result.outcome, hop.result.error = "http-error", "redirect refused for a POST"
        hop.result.elapsed_s = time.monotonic() - started
        return hop.result

    def robots_allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s origin lets this user agent fetch it."""
        return robots.allowed(self._robots_entry(url), self.user_agent, url)

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        s = self.settings
        if retry_after is not None:
            return min(max(0.0, retry_after), s.fetch_retry_after_cap)
        backoff = s.fetch_backoff_base * float(2 ** (attempt - 1))
        backoff += random.uniform(0, s.fetch_backoff_base)
        return min(backoff, s.fetch_backoff_max)

    def _wait_for_host(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        interval = self.host_min_interval
        entry = self._robots.get(robots.origin(url))
        if entry is not None and entry.crawl_delay:
            interval = max(interval, min(entry.crawl_delay, self.settings.robots_max_crawl_delay))
        if interval <= 0:
            return
        delay = self.shared.reserve_host_slot(host, interval)
        if delay > 0:
            self._sleep(delay)

    def _robots_entry(self, url: str) -> robots.RobotsEntry:
        origin = robots.origin(url)
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
            entry = robots.entry_for(self._shared_robots(origin), origin, self.user_agent)
            with self._lock:
                self._robots[origin] = entry
            return entry

    def _shared_robots(self, origin: str) -> robots.RobotsRecord:
        """The origin's robots.txt from the shared cache, fetched once per TTL by whoever
        claims it first; the others wait for that fetch (up to one request budget)."""
        lease = self.request_budget + 5.0
        waited_until = time.monotonic() + lease
        while True:
            record = self.shared.robots_get(origin)
            if record is not None:
                return record
            if self.shared.robots_claim(origin, lease) or time.monotonic() > waited_until:
                break
            self._sleep(0.2)
        record = self._load_robots(origin)
        self.shared.robots_put(origin, record)
        return record

    def _load_robots(self, origin: str) -> robots.RobotsRecord:
        url = robots.robots_url(origin)
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "text/plain, */*;q=0.1",
            "Accept-Encoding": "gzip, deflate, br",
        }
        res = self._follow(url, headers, None, robots.MAX_BYTES, robots=False, truncate=True).result
        text = decode_text(res.body or b"", res.charset) if res.outcome == "ok" else ""
        return robots.record_for(
            res.outcome,
            res.status,
            text,
            ttl=self.settings.robots_ttl,
            error_ttl=self.settings.robots_error_ttl,
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
        seen: set[str] = set()
        redirects: list[str] = []

        def finish(hop: _Hop) -> _Hop:
            hop.result.url = url
            hop.result.final_url = current
            hop.result.redirects = list(redirects)
            return hop

        while True:
            try:
                seen.add(strip_fragment(current))
                _scheme, host, port = split_target(current)
                _vet_host(host, port, self.allowlist)
            except Blocked as exc:
                return finish(
                    _Hop(FetchResult(url, current, outcome="blocked-ssrf", error=str(exc)))
                )
            except Unresolvable as exc:
                return finish(
                    _Hop(
                        FetchResult(url, current, outcome="connection-error", error=str(exc)),
                        retryable=True,
                    )
                )
            except ValueError as exc:  # e.g. "Invalid IPv6 URL": nothing to fetch, ever
                error = f"invalid URL {current[:200]!r}: {exc}"
                return finish(_Hop(FetchResult(url, current, outcome="http-error", error=error)))
            if robots:
                entry = self._robots_entry(current)
                if not robots_module.allowed(entry, self.user_agent, current):
                    why = entry.record.note or "disallowed by robots.txt"
                    trouble = robots_module.unreachable_outcome(entry.record)
                    if trouble is not None:  # the site is down: say so, retry as such
                        return finish(
                            _Hop(
                                FetchResult(url, current, outcome=trouble, error=why),
                                retryable=True,
                            )
                        )
                    return finish(
                        _Hop(FetchResult(url, current, outcome="blocked-robots", error=why))
                    )
            self._wait_for_host(current)
            hop = self._exchange(current, headers, accept, max_bytes, truncate)
            if hop.location is None:
                return finish(hop)
            try:
                target = urljoin(current, hop.location.strip())
                key = (
                    strip_fragment(target)
                    if urlsplit(target).scheme in ("http", "https")
                    else target
                )
            except ValueError as exc:  # "http://[broken/": no URL to follow, now or later
                hop.result.outcome = "http-error"
                hop.result.error = f"invalid redirect target {hop.location[:200]!r}: {exc}"
                return finish(hop)
            if key in seen:
                redirects.append(target)
                hop.result.outcome = "redirect-loop"
                hop.result.error = f"redirect loop back to {target}"
                return finish(hop)
            if len(redirects) >= self.max_redirects:
                hop.result.outcome = "too-many-redirects"
                hop.result.error = f"more than {self.max_redirects} redirects"
                return finish(hop)
            redirects.append(target)
            current = target

    def _exchange(
        self,
        url: str,
        headers: dict[str, str],
        accept: Sequence[str] | None,
        max_bytes: int,
        truncate: bool,
        *,
        data: dict[str, str] | None = None,
    ) -> _Hop:
        """One request and its response, within one request budget (headers included)."""
        res = FetchResult(url, url, budget_s=self.request_budget)
        started = time.monotonic()
        with budget.request_budget(self.request_budget):
            hop = self._send_and_read(url, headers, accept, max_bytes, truncate, data, res)
        res.transfer_s = time.monotonic() - started
        if res.outcome == "timeout" and res.transfer_s >= self.request_budget:
            res.error = (
                f"no complete response within the {self.request_budget:g} s request budget "
                f"({res.raw_bytes} body bytes read; {res.error})"
            )
        return hop

    def _send_and_read(
        self,
        url: str,
        headers: dict[str, str],
        accept: Sequence[str] | None,
        max_bytes: int,
        truncate: bool,
        data: dict[str, str] | None,
        res: FetchResult,
    ) -> _Hop:
        try:
            method = "GET" if data is None else "POST"
            request = self._client.build_request(method, url, headers=headers, data=data)
            response = self._client.send(request, stream=True)
        except Blocked as exc:
            res.outcome, res.error = "blocked-ssrf", str(exc)
            return _Hop(res)
        except httpx.ConnectTimeout as exc:
            res.outcome, res.error = "timeout", f"connect timeout: {exc or 'no answer'}"
            return _Hop(res, retryable=True)
        except httpx.TimeoutException as exc:
            res.outcome, res.error = "timeout", f"{type(exc).__name__}: {exc or 'timed out'}"
            return _Hop(res)
        except (httpx.HTTPError, OSError) as exc:
            res.outcome = "connection-error"
            res.error = f"{type(exc).__name__}: {exc or 'connection failed'}"
            return _Hop(res, retryable=True)
        except (ValueError, UnicodeError, httpx.InvalidURL) as exc:  # a malformed URL
            res.outcome, res.error = "connection-error", f"invalid URL: {exc}"
            return _Hop(res)
        try:
            return self._read(response, res, accept, max_bytes, truncate)
        except httpx.TimeoutException as exc:
            res.outcome, res.error = "timeout", f"{type(exc).__name__}: {exc or 'timed out'}"
            res.body = None
            return _Hop(res)
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
    ) -> _Hop:
        res.status = response.status_code
        res.headers = {k.lower(): v for k, v in response.headers.items()}
        res.content_type, res.charset = media_type(res.headers.get("content-type"))
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
            decoder = DecoderChain(encodings, max_bytes) if encodings else None
        except ValueError as exc:
            res.outcome, res.error = "bad-content-type", str(exc)
            return _Hop(res)
        return self._read_body(response, res, decoder, encodings, max_bytes, truncate)

    def _read_body(
        self,
        response: httpx.Response,
        res: FetchResult,
        decoder: DecoderChain | None,
        encodings: list[str],
        max_bytes: int,
        truncate: bool,
    ) -> _Hop:
        body = bytearray()
        raw_total = 0
        try:
            for chunk in response.iter_raw():
                raw_total += len(chunk)
                res.raw_bytes = raw_total
                left = budget.remaining()
                if left is not None and left <= 0:
                    res.outcome = "timeout"
                    res.error = f"body not complete within {self.request_budget:g} s"
                    return _Hop(res)
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
        except Overflow as exc:
            assert decoder is not None
            consumed = max(decoder.consumed, 1)
            ratio = decoder.produced / consumed
            if truncate:  # the first max_bytes (a large robots.txt arrives in one chunk)
                body += exc.partial
                del body[max_bytes:]
            elif ratio > self.settings.fetch_bomb_ratio:
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
