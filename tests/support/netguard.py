"""No test reaches the network: a socket may connect to loopback (127.0.0.0/8, ::1, 'localhost') or a Unix
socket, anything else is refused before the connect call is made, so no packet is sent.

`socket.socket.connect` and `connect_ex` are wrapped; `socket.create_connection`, http.client, httpx,
the openai SDK and asyncio's `sock_connect` all connect through them. A refused connect raises
`NonLoopbackConnection` naming the address and is also recorded in `attempts`, because the code under
test may swallow the error (an SDK's retry, a background thread): conftest fails the test afterwards
with `fail_if_attempted()`. Not covered: DNS lookups (getaddrinfo) and child processes.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_LOOPBACK_NAMES = ("localhost", "localhost.")

attempts: list[str] = []
"""Refused connections since the last `fail_if_attempted()`, as 'host:port' (threads included)."""


class NonLoopbackConnection(RuntimeError):
    """A test tried to open a connection to an address that is not loopback."""


def is_loopback(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", object()):
        return True
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple) or not address:
        return False
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    host = host.split("%", 1)[0]  # an IPv6 scope: fe80::1%eth0
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other host name would need a DNS lookup and a remote host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse_unless_loopback(sock: socket.socket, address: Any) -> None:
    if is_loopback(sock.family, address):
        return
    where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) >= 2 else repr(address)
    attempts.append(where)
    raise NonLoopbackConnection(f"tests may only connect to loopback: refused a connection to {where}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _refuse_unless_loopback(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _refuse_unless_loopback(self, address)
    return _real_connect_ex(self, address)


@contextmanager
def installed() -> Iterator[None]:
    """The guard in place for the duration (conftest: the whole test session)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _guarded_connect)
        mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
        yield


def fail_if_attempted() -> None:
    """Fail the current test if it tried to connect beyond loopback, even if the error was swallowed."""
    if attempts:
        refused = ", ".join(attempts)
        attempts.clear()
        pytest.fail(f"the test tried to reach the network (refused: {refused})", pytrace=False)
