"""The guard in conftest: no test can open a connection beyond loopback (tests/support/netguard.py)."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.support import netguard
from tests.support.netguard import NonLoopbackConnection

REMOTE = [("10.255.255.1", 9), ("192.0.2.1", 80), ("::ffff:192.0.2.1", 80), ("example.com", 443)]


@pytest.fixture
def spy(monkeypatch):
    """The real connect calls the guard lets through (none may happen for a refused address)."""
    calls = []
    monkeypatch.setattr(netguard, "_real_connect", lambda sock, address: calls.append(("connect", address)))
    monkeypatch.setattr(netguard, "_real_connect_ex", lambda sock, address: calls.append(("connect_ex", address)))
    yield calls
    netguard.attempts.clear()  # this test's refusals were on purpose


@pytest.mark.parametrize("address", REMOTE, ids=[a[0] for a in REMOTE])
def test_a_connect_beyond_loopback_is_refused_before_it_is_made(spy, address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    for method in ("connect", "connect_ex"):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            with pytest.raises(NonLoopbackConnection, match=f"refused a connection to {address[0]}:{address[1]}"):
                getattr(sock, method)(address)
            with pytest.raises(OSError):  # never connected
                sock.getpeername()
    assert spy == []
    assert netguard.attempts == [f"{address[0]}:{address[1]}"] * 2


def test_create_connection_and_asyncio_go_through_the_guard(spy):
    with pytest.raises(NonLoopbackConnection, match="192.0.2.1:80"):
        socket.create_connection(("192.0.2.1", 80), timeout=5)

    import asyncio

    async def open_remote():
        await asyncio.open_connection("192.0.2.1", 80)

    with pytest.raises(NonLoopbackConnection, match="192.0.2.1:80"):
        asyncio.run(open_remote())
    assert spy == []


def test_a_swallowed_refusal_still_fails_the_test(spy):
    def quietly():
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=5)
        except Exception:  # the way an SDK's retry loop or a background thread would hide it
            pass

    worker = threading.Thread(target=quietly)
    worker.start()
    worker.join()
    with pytest.raises(pytest.fail.Exception, match=r"reach the network \(refused: 192\.0\.2\.1:80\)"):
        netguard.fail_if_attempted()
    assert netguard.attempts == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "localhost"])
def test_loopback_still_works(host):
    with socket.socket() as server:
        server.bind(("127.0.0.1" if host == "localhost" else host, 0))
        server.listen()
        with socket.create_connection((host, server.getsockname()[1]), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ping")
                assert peer.recv(4) == b"ping"
    assert netguard.attempts == []


def test_unix_sockets_are_allowed(tmp_path):
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)
        peer, _ = server.accept()
        with peer:
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"


@pytest.mark.parametrize(("family", "address", "loopback"), [
    (socket.AF_INET, ("127.0.0.1", 1), True),
    (socket.AF_INET, ("127.255.255.254", 1), True),
    (socket.AF_INET6, ("::1", 1, 0, 0), True),
    (socket.AF_INET6, ("::ffff:127.0.0.1", 1, 0, 0), True),
    (socket.AF_INET, ("LOCALHOST", 1), True),
    (socket.AF_INET, ("128.0.0.1", 1), False),
    (socket.AF_INET, ("0.0.0.0", 1), False),
    (socket.AF_INET6, ("fe80::1%lo", 1, 0, 0), False),
    (socket.AF_INET, ("localhost.example.com", 1), False),
    (socket.AF_INET, ("", 1), False),
])
def test_what_counts_as_loopback(family, address, loopback):
    assert netguard.is_loopback(family, address) is loopback
