"""Which servers a visitor may point the app at. A hosted app (not on loopback) that takes LLM settings from
the browser would otherwise send requests wherever a visitor says: cloud metadata (169.254.169.254),
internal services, the database host (server-side request forgery). There, a typed base URL must resolve
only to public addresses, or to hosts and networks the host allows (`INTERVIEWER_LLM_URL_ALLOW`)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

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


def refusal(base_url: str, allow: Iterable[str] = (), resolver: Resolver = resolve) -> str | None:
    """Why the app must not send requests to this URL's host (None: it may): any address it resolves to is
    loopback, private, link-local, reserved, multicast or unspecified, and neither the host nor that address
    is allowed."""
    host = (urlparse(base_url).hostname or "").lower()
    allowed = [a.strip().lower() for a in allow if a.strip()]
    if host in allowed:
        return None
    networks = []
    for entry in allowed:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a host name: compared above
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host)]
    except (OSError, ValueError):
        return f"{host} does not resolve to an address"
    for address in addresses:
        if any(address in network for network in networks):
            continue
        if not address.is_global or address.is_multicast:
            kind = "loopback" if address.is_loopback else "link-local" if address.is_link_local else "private"
            return (f"{host} is a {kind} address ({address}); this hosted app only calls public LLM servers "
                    "(the host can allow more with INTERVIEWER_LLM_URL_ALLOW)")  # fmt: skip
    return None
