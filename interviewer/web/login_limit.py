"""Failed logins are rate-limited per client: a password cannot be guessed at speed. The refusal says nothing
about which names exist.

Who the client is: the address it connects from, unless that is a proxy the host trusts
(`INTERVIEWER_TRUSTED_PROXIES`); then the right-most X-Forwarded-For address that is not itself a trusted proxy
(the one the nearest proxy wrote: a client can write every earlier one itself). A header from anyone else is
ignored, or a locked-out client would be a new one with each header it makes up."""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..recent import RecentEvents

TOO_MANY = "Too many failed logins from here: try again in a few minutes."
MAX_CLIENTS = 10_000
"""Clients whose recent failures are remembered; past it the least recently seen is forgotten, so made-up
addresses cannot grow the memory without end."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trust_proxies(proxies: Iterable[Network]) -> None:
    """Make uvicorn (which Gradio runs) trust the same proxies. It rewrites a request's client from
    X-Forwarded-For before any middleware sees it, trusting loopback unless FORWARDED_ALLOW_IPS says otherwise:
    left alone, anyone on this machine could name their own address. Call before the server starts."""
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(str(p) for p in proxies)  # "": none


class LoginLimiter:
    """ASGI middleware: after `attempts` failed logins from one client within `window` seconds, its logins are
    refused (429) until the oldest failure is `window` seconds old. Each attempt counts from its start, so
    parallel attempts cannot slip past the limit; a success takes its own back."""

    def __init__(self, app: Any, trusted: Iterable[Network] = (), attempts: int = 5, window: float = 300.0,  # noqa: PLR0913
                 max_clients: int = MAX_CLIENTS, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.app, self.attempts, self.window, self.clock = app, attempts, window, clock
        self.trusted = tuple(trusted)
        self.failures = RecentEvents(window, max_clients)
        """Each client's failures within the window, least recently seen first."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        is_login = scope["type"] == "http" and scope.get("method") == "POST" and scope["path"].rstrip("/") == "/login"
        if not is_login:
            await self.app(scope, receive, send)
            return
        client, now = client_of(scope, self.trusted), self.clock()
        recent = self.failures.recent(client, now)
        if len(recent) >= self.attempts:
            body = json.dumps({"detail": TOO_MANY}).encode()
            headers = [(b"content-type", b"application/json"), (b"retry-after", str(int(self.window)).encode())]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        recent.append(now)  # counted now: a burst of parallel attempts meets the limit too
        status: dict[str, int] = {}

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") == 200:
            self.failures.forget(client, now)


def client_of(scope: Any, trusted: tuple[Network, ...]) -> str:
    """Who a request comes from, as the limiter counts it (see the module's docstring)."""
    peer = str((scope.get("client") or ("", 0))[0])
    if _is_trusted(peer, trusted):
        for hop in reversed(_forwarded_for(scope)):
            if not _is_trusted(hop, trusted):
                return _key(hop)
    return _key(peer)


def _forwarded_for(scope: Any) -> list[str]:
    values = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"x-forwarded-for"]
    return [hop.strip() for hop in ",".join(values).split(",") if hop.strip()]


def _is_trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    address = _address(host)
    return address is not None and any(address in network for network in trusted)


def _address(host: str) -> Address | None:
    """An address as proxies write it: bare, `v4:port`, or `[v6]:port`."""
    if host.startswith("[") and "]" in host:
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _key(host: str) -> str:
    """The limiter's key: an IPv4 address, or an IPv6 address's /64 (one subscriber's network, whose addresses
    they can change at will)."""
    address = _address(host)
    if address is None:
        return host[:100]  # not an address (a Unix socket, a misconfigured proxy): counted as written, bounded
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
