"""The SSRF guard: only public http(s) targets, checked before every hop and at connect time.

Every address a host resolves to must be public (no loopback, private, link-local, multicast,
reserved, unspecified or cloud-metadata address) unless ``NEWSFLOW_HTTP_ALLOWLIST`` lets it
through. Checking the URL is not enough: a DNS answer can change between the check and the
connect (DNS rebinding), so :class:`GuardedBackend` resolves and vets again inside httpcore and
opens the socket to the very address that passed. The streams it returns also carry the
request budget (:mod:`newsflow.fetch.budget`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

from newsflow.fetch import budget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


class Blocked(Exception):
    """The guard refused a target (raised at check or connect time)."""


class Unresolvable(Exception):
    """The host name does not resolve."""


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

    def allows_address(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def normalise_host(host: str) -> str:
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


def vet_host(host: str, port: int, allow: Allowlist) -> list[str]:
    """Resolve ``host`` and return its addresses if every one is acceptable.

    Raises :class:`Blocked` (refused) or :class:`Unresolvable` (DNS failure).
    """
    host = normalise_host(host)
    if not host:
        raise Blocked("URL has no host")
    if host in METADATA_HOSTS:
        raise Blocked(f"{host} is a cloud metadata host")
    name_allowed = allow.allows_name(host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unresolvable(f"cannot resolve {host}: {exc}") from exc
    addresses: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise Unresolvable(f"{host} resolves to no address")
    for addr in addresses:
        try:
            ip = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError as exc:
            raise Blocked(f"{host} resolves to unparseable address {addr!r}") from exc
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if ip in METADATA_ADDRESSES or mapped in METADATA_ADDRESSES:
            raise Blocked(
                f"{addr} is a cloud metadata address"
                if host == addr
                else f"{host} resolves to cloud metadata address {addr}"
            )
        if name_allowed or allow.allows_address(ip) or (mapped and allow.allows_address(mapped)):
            continue
        label = _address_label(addr)
        if label:
            raise Blocked(
                f"{addr} is {label}" if host == addr else f"{host} resolves to {addr} ({label})"
            )
    return addresses


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; :class:`Blocked` for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Blocked(f"scheme {scheme or '(none)'!r} is not allowed")
    host = parts.hostname
    if not host:
        raise Blocked("URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise Blocked(f"invalid port in {url!r}") from exc
    return scheme, host, port


def check_target(url: str, allowlist: Iterable[str] | Allowlist = ()) -> str | None:
    """Return why ``url`` must not be fetched, or None when it is safe.

    Resolves the host (``getaddrinfo``, every address) but never connects.  A host that
    does not resolve is refused as well ("cannot resolve ...").
    """
    allow = allowlist if isinstance(allowlist, Allowlist) else Allowlist(allowlist)
    try:
        _scheme, host, port = split_target(url)
        vet_host(host, port, allow)
    except (Blocked, Unresolvable) as exc:
        return str(exc)
    return None


def refusal(url: str, allowlist: Iterable[str] | Allowlist = ()) -> str | None:
    """Why the fetcher would refuse ``url`` for good (scheme, metadata, private address), or
    None. Unlike :func:`check_target`, a host that does not resolve *now* is not refused: DNS
    may come back, and the fetcher records that as a temporary failure."""
    allow = allowlist if isinstance(allowlist, Allowlist) else Allowlist(allowlist)
    try:
        _scheme, host, port = split_target(url)
        vet_host(host, port, allow)
    except Blocked as exc:
        return str(exc)
    except Unresolvable:
        return None
    return None


class GuardedBackend(httpcore.NetworkBackend):
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
            addresses = vet_host(host, port, self._allow)
        except Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for addr in addresses:
            try:
                stream = self._inner.connect_tcp(
                    addr,
                    port,
                    timeout=budget.bounded(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return budget.BudgetStream(stream)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise Blocked("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
