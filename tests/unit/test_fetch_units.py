"""Pure units of newsflow.fetch: SSRF guard, decoders, header parsing (no sockets)."""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import ipaddress
import socket
import time
import zlib

import brotli
import httpx
import pytest

from newsflow.fetch import (
    FEED_CONTENT_TYPES,
    PAGE_CONTENT_TYPES,
    Allowlist,
    Fetcher,
    FetchResult,
    address_problem,
    check_target,
    content_type_allowed,
    parse_retry_after,
)
from newsflow.fetch.decoding import DecoderChain, Overflow
from newsflow.fetch.result import media_type
from newsflow.settings import get_settings
from tests.fetching import make_fetcher


@pytest.fixture
def fake_dns(monkeypatch):
    """Map host names to address lists; unknown names fail like NXDOMAIN."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            return real(host, port, *args, **kwargs)
        except ValueError:
            pass
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for ip in table[host]:
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (ip, port)))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


# ------------------------------------------------------------------------ SSRF guard


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://example.org/feed", "scheme 'ftp'"),
        ("gopher://example.org/", "scheme 'gopher'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("//example.org/feed", "scheme '(none)'"),
        ("http:///nohost", "no host"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.1.2.3:8080/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "private"),  # reserved; Python counts 240/4 as private too
        ("http://100.64.0.1/", "not a globally routable"),  # carrier-grade NAT
        ("http://[::1]/", "loopback"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
        ("http://METADATA.GOOGLE.INTERNAL./", "cloud metadata host"),
        ("http://example.org:99999/", "invalid port"),
    ],
)
def test_check_target_refuses(url: str, fragment: str):
    reason = check_target(url)
    assert reason is not None and fragment in reason, reason


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/feed", "https://[2606:4700:4700::1111]/", "HTTP://8.8.8.8:8080/x"]
)
def test_check_target_allows_public_literals(url: str):
    assert check_target(url) is None


def test_check_target_checks_every_resolved_address(fake_dns):
    fake_dns["mixed.test"] = ["93.184.216.34", "10.1.2.3"]
    fake_dns["public.test"] = ["93.184.216.34", "2606:4700:4700::1111"]
    fake_dns["v6private.test"] = ["93.184.216.34", "fd12::1"]
    reason = check_target("http://mixed.test/")
    assert reason == "mixed.test resolves to 10.1.2.3 (a private address)"
    assert check_target("https://public.test/feed") is None
    assert "private" in check_target("http://v6private.test/")
    assert "cannot resolve" in check_target("http://nxdomain.test/")


def test_allowlist_entries(fake_dns):
    fake_dns["local.test"] = ["127.0.0.1", "::1"]
    fake_dns["metadata-alias.test"] = ["169.254.169.254"]
    assert check_target("http://127.0.0.1:8000/", ["127.0.0.1"]) is None
    assert check_target("http://127.0.0.5/", ["127.0.0.0/8"]) is None
    assert check_target("http://10.0.0.1/", ["127.0.0.0/8"]) is not None
    # by address: every address must be allowed (::1 is not)
    assert "::1" in check_target("http://local.test/", ["127.0.0.1"])
    assert check_target("http://local.test/", ["127.0.0.1", "::1"]) is None
    # by name
    assert check_target("http://local.test/", ["local.test"]) is None
    assert check_target("http://local.test/", ["*.test"]) is None
    # cloud metadata is never allowed
    assert "metadata" in check_target("http://169.254.169.254/", ["169.254.0.0/16"])
    assert "metadata" in check_target("http://metadata-alias.test/", ["metadata-alias.test"])
    assert "metadata" in check_target(
        "http://metadata.google.internal/", ["metadata.google.internal"]
    )


def test_allowlist_parsing():
    allow = Allowlist(["127.0.0.1", " 10.0.0.0/8 ", "[::1]", "Feeds.Example.ORG.", "*.corp", ""])
    assert allow.allows_address(ipaddress.ip_address("10.9.9.9"))
    assert allow.allows_address(ipaddress.ip_address("::1"))
    assert not allow.allows_address(ipaddress.ip_address("11.0.0.1"))
    assert allow.allows_name("feeds.example.org")
    assert allow.allows_name("intranet.corp")
    assert not allow.allows_name("corp")


def test_address_problem():
    assert address_problem("93.184.216.34") is None
    assert "loopback" in address_problem("127.0.0.1")
    assert "not an IP" in address_problem("example.org")
    assert "link-local" in address_problem("fe80::1%eth0")


# ------------------------------------------------------------------------ decoding


def test_gzip_decoder_multi_member_and_cap():
    dec = DecoderChain(["gzip"], limit=1000)
    data = gzip.compress(b"a" * 300) + gzip.compress(b"b" * 300)
    assert dec.feed(data) + dec.flush() == b"a" * 300 + b"b" * 300
    bomb = gzip.compress(bytes(10_000_000))
    dec = DecoderChain(["gzip"], limit=100_000)
    with pytest.raises(Overflow):
        dec.feed(bomb)
    assert dec.produced <= 100_000 + 16 * 64 * 1024
    assert dec.produced / dec.consumed > 100  # a bomb, measured on consumed input only


def test_deflate_decoder_zlib_and_raw():
    for payload in (zlib.compress(b"hello" * 100), zlib.compress(b"hello" * 100, wbits=-15)):
        dec = DecoderChain(["deflate"], limit=10_000)
        assert dec.feed(payload[:7]) + dec.feed(payload[7:]) + dec.flush() == b"hello" * 100


def test_brotli_decoder_and_cap():
    dec = DecoderChain(["br"], limit=10_000)
    assert dec.feed(brotli.compress(b"news " * 500)) + dec.flush() == b"news " * 500
    dec = DecoderChain(["br"], limit=50_000)
    with pytest.raises(Overflow):
        dec.feed(brotli.compress(bytes(5_000_000), quality=1))


def test_chained_encodings_undone_in_reverse():
    body = brotli.compress(gzip.compress(b"x" * 1000))  # Content-Encoding: gzip, br
    dec = DecoderChain(["gzip", "br"], limit=10_000)
    assert dec.feed(body) + dec.flush() == b"x" * 1000


def test_unknown_encoding_rejected():
    with pytest.raises(ValueError):
        DecoderChain(["zstd"], limit=10)


def test_fetch_result_text_and_flags():
    res = FetchResult("u", "u", body="Grüße".encode("latin-1"), charset="latin-1")
    assert res.text() == "Grüße"
    assert FetchResult("u", "u", outcome="not-modified").not_modified
    assert FetchResult("u", "u", body=None).text() == ""


# ------------------------------------------------------------------ header helpers


def test_parse_retry_after():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    later = email.utils.formatdate(now + 120, usegmt=True)
    assert 115 <= parse_retry_after(later, now=now) <= 121
    earlier = email.utils.formatdate(now - 120, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_content_type_allowed():
    assert content_type_allowed("application/rss+xml", FEED_CONTENT_TYPES)
    assert content_type_allowed("application/vnd.custom+xml", FEED_CONTENT_TYPES)
    assert content_type_allowed("text/html", FEED_CONTENT_TYPES)
    assert not content_type_allowed("application/json", FEED_CONTENT_TYPES)
    assert not content_type_allowed("image/png", PAGE_CONTENT_TYPES)
    assert content_type_allowed("application/xhtml+xml", PAGE_CONTENT_TYPES)
    assert not content_type_allowed("application/rss+xml", PAGE_CONTENT_TYPES)
    assert content_type_allowed(None, PAGE_CONTENT_TYPES)
    assert content_type_allowed("image/png", None)
    assert media_type('Text/HTML; Charset="UTF-8"') == ("text/html", "UTF-8")


# -------------------------------------------------------------------- the Fetcher


def test_fetcher_reads_settings(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_HOST_MIN_INTERVAL", "2.5")
    monkeypatch.setenv("NEWSFLOW_FETCH_CONCURRENCY", "7")
    monkeypatch.setenv("NEWSFLOW_HTTP_ALLOWLIST", "127.0.0.1,feeds.local")
    monkeypatch.setenv("NEWSFLOW_MAX_DOCUMENT_BYTES", "12345")
    monkeypatch.setenv("NEWSFLOW_USER_AGENT", "ua-test/1")
    with Fetcher() as f:
        assert f.host_min_interval == 2.5
        assert f.concurrency == 7
        assert f.max_bytes == 12345
        assert f.user_agent == "ua-test/1"
        assert f.allowlist.allows_name("feeds.local")
    explicit = dataclasses.replace(
        get_settings(), host_min_interval=0, fetch_concurrency=1, http_allowlist=()
    )
    with Fetcher(explicit) as f:
        assert f.host_min_interval == 0 and f.concurrency == 1
        assert not f.allowlist.allows_name("feeds.local")


def test_retry_delay_backoff_jitter_and_cap():
    with make_fetcher(
        fetch_backoff_base=1.0, fetch_backoff_max=3.0, fetch_retry_after_cap=10.0
    ) as f:
        for _ in range(20):
            assert 1.0 <= f._retry_delay(1, None) <= 2.0
            assert 2.0 <= f._retry_delay(2, None) <= 3.0
            assert f._retry_delay(5, None) == 3.0
        assert f._retry_delay(1, 4.0) == 4.0
        assert f._retry_delay(1, 3600.0) == 10.0


def test_host_interval_reserves_slots_thread_safely():
    sleeps: list[float] = []
    with make_fetcher(host_min_interval=1.0, sleep=sleeps.append) as f:
        f._wait_for_host("http://a.example/1")
        f._wait_for_host("http://a.example/2")
        f._wait_for_host("http://A.example:8080/3")  # same host, other port
        f._wait_for_host("http://b.example/1")  # other host: no wait
    assert len(sleeps) == 2
    assert 0.9 <= sleeps[0] <= 1.0 and 1.9 <= sleeps[1] <= 2.0


def test_blocked_target_is_not_fetched(monkeypatch):
    calls = []
    monkeypatch.setattr(httpx.Client, "send", lambda *a, **k: calls.append(a))
    with make_fetcher(http_allowlist=[]) as f:
        res = f.fetch("http://10.0.0.1/feed")
    assert res.outcome == "blocked-ssrf" and calls == []
