"""Which servers a visitor may point the app at. A hosted app (not on loopback) that takes LLM settings from
the browser would otherwise send requests wherever a visitor says: cloud metadata (169.254.169.254),
internal services, the database host (server-side request forgery). There, a typed base URL must resolve
only to public addresses, or to hosts and networks the host allows (`INTERVIEWER_LLM_URL_ALLOW`).

The check is made twice: when the URL is typed (`refusal`, to say so at once), and on every connection the
LLM client opens (`GuardedBackend`), against the very address it connects to. A name that resolved to a public
address when typed and to an internal one later (DNS rebinding) is refused there."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

import httpcore2
import httpx2

Resolver = Callable[[str], Iterable[str]]


def resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def is_loopback_host(host: str) -> bool:
    """Whether the app listens on loopback only (a local, single-user app)."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Allowed:
    """What the host lets through besides public addresses: host names, and networks (`INTERVIEWER_LLM_URL_ALLOW`)."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.names = {a.strip().lower() for a in allow if a.strip()}
        self.networks = []
        for entry in self.names:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue  # a host name

    def refusal(self, host: str, address: str) -> str | None:
        """Why the app must not connect to `address` for `host` (None: it may)."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if host.lower() in self.names or any(ip in network for network in self.networks):
            return None
        inner = _embedded_ipv4(ip)
        if ip.is_global and not ip.is_multicast and ip not in _LOCAL_NAT64 and all(v4.is_global for v4 in inner):
            return None
        ip = next((v4 for v4 in inner if not v4.is_global), ip)  # name the inner address
        kind = "loopback" if ip.is_loopback else "link-local" if ip.is_link_local else "private"
        return (f"{host} is a {kind} address ({ip}); this hosted app only calls public LLM servers "
                "(the host can allow more with INTERVIEWER_LLM_URL_ALLOW)")  # fmt: skip

    def refusal_of_any(self, host: str, addresses: Iterable[str]) -> str | None:
        """Why not, if any address the host resolved to is refused: one internal address is enough."""
        return next(filter(None, (self.refusal(host, a) for a in addresses)), None)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: the IPv4 address is its last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # a network's own translation prefix: internal by definition


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries to a gateway (mapped, 6to4, Teredo, NAT64): an internal
    one is as internal as itself, though the IPv6 address looks global."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [v4 for v4 in found if v4 is not None]


def refusal(base_url: str, allow: Iterable[str] = (), resolver: Resolver = resolve) -> str | None:
    """Why the app must not send requests to this URL's host (None: it may): any address it resolves to is
    loopback, private, link-local, reserved, multicast or unspecified, and neither the host nor that address
    is allowed."""
    host = (urlparse(base_url).hostname or "").lower()
    allowed = Allowed(allow)
    if host in allowed.names:
        return None
    try:
        return allowed.refusal_of_any(host, resolver(host))
    except (OSError, ValueError):
        return f"{host} does not resolve to an address"


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """httpcore2's network backend, resolving each host itself and connecting only to addresses `allowed` lets
    through, by address: what was checked is what is connected to (TLS still verifies the host name)."""

    def __init__(self, inner: httpcore2.AsyncNetworkBackend, allowed: Allowed) -> None:
        self.inner, self.allowed = inner, allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore2.ConnectError(f"{host} does not resolve to an address ({exc})") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if problem := self.allowed.refusal_of_any(host, addresses):
            raise httpcore2.ConnectError(f"refused: {problem}")
        for address in addresses[:-1]:  # every address was checked: try them in turn, as a client would
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError:
                continue
        return await self.inner.connect_tcp(addresses[-1], port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("refused: a hosted app calls LLM servers over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(allowed: Allowed) -> httpx2.AsyncClient:
    """An HTTP client that connects only where `allowed` lets it, follows no redirect and uses no proxy (the
    guard must see the real target)."""
    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    # httpx2 has no public hook for httpcore2's network backend; its pool opens every connection through it.
    transport._pool._network_backend = GuardedBackend(transport._pool._network_backend, allowed)
    return httpx2.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)
