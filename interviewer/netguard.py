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
        inner = embedded_ipv4(ip)
        # An IPv4 address written as IPv6 (mapped, compatible, SIIT) is judged as that IPv4 address alone.
        written_as_ipv6 = bool(inner) and any(ip in net for net in _IPV4_AS_IPV6)
        if (written_as_ipv6 or (_public(ip) and ip not in _LOCAL_NAT64)) and all(_public(v4) for v4 in inner):
            return None
        named = next((v4 for v4 in inner if not _public(v4)), ip)  # name the inner address
        return (f"{host} is {_kind(named)} address ({named}); this hosted app only calls public LLM servers "
                "(the host can allow more with INTERVIEWER_LLM_URL_ALLOW)")  # fmt: skip

    def refusal_of_any(self, host: str, addresses: Iterable[str]) -> str | None:
        """Why not, if any address the host resolved to is refused: one internal address is enough."""
        return next(filter(None, (self.refusal(host, a) for a in addresses)), None)


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The class of a refused address, as the message names it ("a loopback address")."""
    if ip.is_loopback:
        return "a loopback"
    if ip.is_link_local:
        return "a link-local"
    if ip.is_unspecified:
        return "an unspecified"
    if ip.is_multicast:
        return "a multicast"
    return "a private"


# IPv6 prefixes whose addresses carry an IPv4 address to a gateway or a translator in their last 32 bits (6to4
# carries it in bits 16-47, Teredo its server in bits 32-63 and its client, inverted, in the last 32).
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated (RFC 4291), still routed by some stacks
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated (RFC 2765)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # a network's own translation prefix: internal by definition
_IPV4_AS_IPV6 = (_IPV4_COMPATIBLE, _IPV4_MAPPED, _SIIT)
_LAST_32_BITS = (*_IPV4_AS_IPV6, _NAT64, _LOCAL_NAT64)


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (IPv4-compatible, IPv4-mapped, SIIT, NAT64, 6to4, Teredo): an
    internal one is as internal as the IPv6 address itself, which may look global. `::` and `::1` carry none:
    they are IPv6's own unspecified and loopback addresses."""
    if isinstance(ip, ipaddress.IPv4Address) or int(ip) <= 1:
        return []
    found = [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)] if any(ip in net for net in _LAST_32_BITS) else []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found += ip.teredo  # (server, client)
    return found


def refusal(base_url: str, allow: Iterable[str] = (), resolver: Resolver = resolve) -> str | None:
    """Why the app must not send requests to this URL's host (None: it may): any address it resolves to is
    loopback, private, link-local, reserved, multicast or unspecified, and neither the host nor that address
    is allowed."""
    try:
        host = (urlparse(base_url).hostname or "").lower()
    except ValueError:  # "Invalid IPv6 URL": check_base_url (llm.py) says what is wrong
        return "its host cannot be read"
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
