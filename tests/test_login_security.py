"""Logins against a hostile visitor: the rate limit counts the real client (X-Forwarded-For only from a proxy the
host trusts) in bounded memory; a login's time does not tell which names exist; and settings that would serve
an app nobody can log in to, or everyone can reach, are refused at start in one line."""

from __future__ import annotations

import asyncio
import ipaddress
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from interviewer.config import Settings, load_settings
from interviewer.errors import ConfigError
from interviewer.users import Users, scrypt
from interviewer.web.login_limit import MAX_CLIENTS, TOO_MANY, LoginLimiter
from tests.support.cli import isolated_env, run_cli
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]
LOCALHOST = ipaddress.ip_network("127.0.0.1/32")


# -- the rate limit, through real ASGI calls ---------------------------------------------------------


async def _login_app(scope: Any, receive: Any, send: Any) -> None:
    """Stands for Gradio's /login: 200 when the request says its password is right, else 400."""
    right = (b"x-test-password", b"right") in scope["headers"]
    await send({"type": "http.response.start", "status": 200 if right else 400, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _scope(peer: str, forwarded: str | None, right: bool) -> dict[str, Any]:
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded.encode()))
    if right:
        headers.append((b"x-test-password", b"right"))
    return {"type": "http", "method": "POST", "path": "/login", "headers": headers, "client": (peer, 50000)}


async def _call(limiter: LoginLimiter, peer: str, forwarded: str | None = None, right: bool = False) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await limiter(_scope(peer, forwarded, right), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    if start["status"] == 429:
        body = next(m for m in sent if m["type"] == "http.response.body")["body"].decode()
        assert TOO_MANY in body
    return start["status"]


def login(limiter: LoginLimiter, peer: str, forwarded: str | None = None, right: bool = False) -> int:
    return asyncio.run(_call(limiter, peer, forwarded, right))


@pytest.mark.parametrize("peer", ["203.0.113.7", "127.0.0.1", "::1"])
def test_a_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(peer):
    limiter = LoginLimiter(_login_app)  # no trusted proxies: the default
    for n in range(5):
        assert login(limiter, peer, forwarded=f"198.51.100.{n}") == 400
    assert login(limiter, peer, forwarded="198.51.100.99") == 429  # a new made-up address is the same client
    assert login(limiter, peer, forwarded="198.51.100.100", right=True) == 429  # even with the right password
    assert len(limiter.failures) == 1


def test_a_trusted_proxy_on_another_address_does_not_make_a_peers_header_trusted():
    limiter = LoginLimiter(_login_app, trusted=[LOCALHOST])
    for n in range(5):
        assert login(limiter, "203.0.113.7", forwarded=f"198.51.100.{n}") == 400
    assert login(limiter, "203.0.113.7", forwarded="198.51.100.99") == 429


def test_a_trusted_proxys_header_names_the_client_and_a_client_cannot_write_its_own():
    limiter = LoginLimiter(_login_app, trusted=[LOCALHOST])
    for _ in range(5):
        assert login(limiter, "127.0.0.1", forwarded="203.0.113.7") == 400
    assert login(limiter, "127.0.0.1", forwarded="203.0.113.7", right=True) == 429
    # nginx appends the address it saw: whatever the client wrote before it is not who it is
    assert login(limiter, "127.0.0.1", forwarded="198.51.100.99, 203.0.113.7") == 429
    assert login(limiter, "127.0.0.1", forwarded="203.0.113.8", right=True) == 200  # another client, not locked out
    assert login(limiter, "127.0.0.1", right=True) == 200  # the proxy's own requests are a client of their own


def test_through_a_chain_of_trusted_proxies_the_client_is_the_right_most_untrusted_address():
    proxies = [LOCALHOST, ipaddress.ip_network("10.0.0.0/8")]
    limiter = LoginLimiter(_login_app, trusted=proxies)
    for n in range(5):  # a load balancer (10.0.0.5) in front of nginx on this machine
        assert login(limiter, "127.0.0.1", forwarded=f"192.0.2.{n}, 203.0.113.7, 10.0.0.{n + 1}") == 400
    assert login(limiter, "127.0.0.1", forwarded="203.0.113.7, 10.0.0.9") == 429
    assert login(limiter, "127.0.0.1", forwarded="203.0.113.70, 10.0.0.9", right=True) == 200
    assert list(limiter.failures) == ["203.0.113.7"]


def test_one_clients_lockout_locks_out_nobody_else():
    limiter = LoginLimiter(_login_app)
    for _ in range(5):
        assert login(limiter, "203.0.113.7") == 400
    assert login(limiter, "203.0.113.7", right=True) == 429
    assert login(limiter, "203.0.113.8", right=True) == 200
    assert login(limiter, "127.0.0.1", right=True) == 200  # someone on the machine itself
    for _ in range(5):  # and locking out loopback (no header) locks out no proxied client
        login(limiter, "127.0.0.1")
    proxied = LoginLimiter(_login_app, trusted=[LOCALHOST])
    for _ in range(5):
        login(proxied, "127.0.0.1")
    assert login(proxied, "127.0.0.1", right=True) == 429
    assert login(proxied, "127.0.0.1", forwarded="203.0.113.9", right=True) == 200


def test_an_ipv6_client_is_counted_by_its_64_whose_addresses_it_can_change_at_will():
    limiter = LoginLimiter(_login_app)
    for n in range(5):
        assert login(limiter, f"2001:db8:1:2::{n + 1:x}") == 400
    assert login(limiter, "2001:db8:1:2:ffff::1", right=True) == 429
    assert login(limiter, "2001:db8:1:3::1", right=True) == 200
    assert login(limiter, "::ffff:203.0.113.7") == 400  # an IPv4 client over IPv6 is its IPv4 address
    assert "203.0.113.7" in limiter.failures


def test_a_success_takes_back_only_its_own_attempt():
    limiter = LoginLimiter(_login_app)
    for _ in range(4):
        login(limiter, "203.0.113.7")
    for _ in range(3):
        assert login(limiter, "203.0.113.7", right=True) == 200
    assert login(limiter, "203.0.113.7") == 400  # the fifth failure
    assert login(limiter, "203.0.113.7", right=True) == 429
    assert login(limiter, "203.0.113.9", right=True) == 200 and "203.0.113.9" not in limiter.failures


@pytest.mark.slow
def test_made_up_addresses_do_not_grow_the_limiters_memory_past_its_bound():
    limiter = LoginLimiter(_login_app, trusted=[LOCALHOST])

    async def flood() -> None:
        for n in range(100_000):  # through a trusted proxy: the only way left to name many clients
            await _call(limiter, "127.0.0.1", forwarded=str(ipaddress.IPv4Address(0x0A000000 + n)))
            assert len(limiter.failures) <= MAX_CLIENTS

    asyncio.run(flood())
    assert len(limiter.failures) == MAX_CLIENTS
    assert "10.1.134.159" in limiter.failures and "10.0.0.0" not in limiter.failures  # the latest are kept


def test_expired_failures_are_forgotten():
    now = [1000.0]
    limiter = LoginLimiter(_login_app, window=300.0, clock=lambda: now[0])
    for n in range(50):
        login(limiter, f"203.0.113.{n}")
    for _ in range(4):
        login(limiter, "198.51.100.1")
    assert len(limiter.failures) == 51
    now[0] += 301
    assert login(limiter, "192.0.2.1") == 400
    assert list(limiter.failures) == ["192.0.2.1"]
    for _ in range(5):
        login(limiter, "192.0.2.1")
    assert login(limiter, "192.0.2.1", right=True) == 429
    now[0] += 301  # the window passed: the client may try again
    assert login(limiter, "192.0.2.1", right=True) == 200


def test_trusted_proxies_are_a_setting_of_addresses_and_networks(monkeypatch):
    assert load_settings().trusted_proxies is None  # none by default
    monkeypatch.setenv("INTERVIEWER_TRUSTED_PROXIES", " 127.0.0.1, ::1 ,10.0.0.0/8")
    assert load_settings().trusted_proxies == (
        LOCALHOST,
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),
    )
    monkeypatch.setenv("INTERVIEWER_TRUSTED_PROXIES", "nginx")
    with pytest.raises(ConfigError, match="INTERVIEWER_TRUSTED_PROXIES"):
        load_settings()


def test_the_served_app_ignores_a_loopback_clients_header_unless_told_to_trust_it(tmp_path, monkeypatch):
    """Gradio's server (uvicorn) reads X-Forwarded-For too, before any middleware: it must trust the same
    proxies, or a client on this machine names a new address with each attempt."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.support.browser import served

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")  # uvicorn's default; put back after the test
    Users(tmp_path / "users.txt").add("alice", "alice password")
    settings = Settings(grader="offline", data_dir=tmp_path / "data", users=tmp_path / "users.txt")

    def log_in(url: str, password: str, forwarded: str) -> int:
        data = urllib.parse.urlencode({"username": "alice", "password": password}).encode()
        request = urllib.request.Request(f"{url}login", data=data, headers={"X-Forwarded-For": forwarded})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with served(settings) as url:
        assert [log_in(url, "wrong password", f"203.0.113.{n}") for n in range(5)] == [400] * 5
        assert log_in(url, "alice password", "198.51.100.4") == 429


# -- the time a login takes ---------------------------------------------------------------------------------


def _users(tmp_path: Path, derive: Any = scrypt) -> Users:
    Users(tmp_path / "users.txt").add("alice", "alice password")
    return Users.load(tmp_path / "users.txt", derive=derive)


def test_an_unknown_name_costs_the_same_scrypt_work_as_a_known_one(tmp_path):
    salts: list[bytes] = []

    def counting(password: str, salt: bytes) -> bytes:
        salts.append(salt)
        return scrypt(password, salt)

    users = _users(tmp_path, counting)
    assert not users.check("nobody", "alice password")
    assert not users.check("", "")
    assert not users.check("alice", "wrong password")
    assert users.check("alice", "alice password")
    assert len(salts) == 4
    assert salts[0] == salts[1] != salts[2] == salts[3]  # unknown names: one dummy hash, made once


def test_an_unknown_names_check_takes_about_as_long_as_a_known_ones(tmp_path):
    users = _users(tmp_path)

    def median_seconds(name: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            users.check(name, "wrong password")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    known, unknown = median_seconds("alice"), median_seconds("nobody")
    assert unknown >= known / 2, (known, unknown)  # was 2.6 against 48 ms: scrypt ran for known names only


# -- settings refused at start, in one line -----------------------------------------------------------------


def _start_app(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "INTERVIEWER_DATA_DIR": str(tmp_path / "d"),
            "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_SERVER_PORT": str(free_port()),
            "INTERVIEWER_SEMANTIC": "0"}  # fmt: skip
    return subprocess.run([sys.executable, str(ROOT / "app.py")], env=base | env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str], start: str) -> None:
    assert result.returncode != 0, result.stdout
    assert result.stderr.strip().startswith(start), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_empty_server_name_is_refused_at_start(tmp_path):
    _one_line(_start_app(tmp_path, GRADIO_SERVER_NAME=""), "error: GRADIO_SERVER_NAME='': set an address")


@pytest.mark.parametrize("name", ["", " 127.0.0.1", "127.0.0.1\n"])
def test_a_server_name_that_is_not_an_address_is_refused_before_serving(name):
    from interviewer.web.setup import server_settings

    with pytest.raises(ConfigError, match="GRADIO_SERVER_NAME"):
        server_settings(Settings(server_name=name))
    assert server_settings(Settings(server_name="localhost"))["server_name"] == "localhost"


MALFORMED = "alice:scrypt$not base64!$AAAA\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "is not a file"), (MALFORMED, "users.txt:1: expected 'name:scrypt$salt$hash'")],
    ids=["missing", "malformed"],
)
def test_a_users_file_nobody_can_log_in_with_is_refused_at_start(tmp_path, content, said):
    users = tmp_path / "users.txt"
    if content is not None:
        users.write_text(content, encoding="utf-8")
    result = _start_app(tmp_path, INTERVIEWER_USERS=str(users))
    _one_line(result, "error: ")
    assert said in result.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "is not a file"),
        ("# nobody yet\n\n", "names nobody"),
        (MALFORMED, "users.txt:1: expected"),
        ("alice:scrypt$AAAA$AAAA\n", "32-byte hash"),  # a hash cut short
        ("alice:pbkdf2$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=\n", "users.txt:1"),
        ("eve :scrypt$AAAA$AAAA\n", "users.txt:1"),
    ],
)
def test_loading_users_refuses_what_would_fail_at_login(tmp_path, content, said):
    path = tmp_path / "users.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=said.replace("$", r"\$")):
        Users.load(path)
    with pytest.raises(ConfigError, match="is not a file"):
        Users.load(tmp_path)  # a folder


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("eve\n", "has spaces or line breaks at its ends"),
        (" eve", "has spaces or line breaks at its ends"),
        ("eve\t", "has spaces or line breaks at its ends"),
        ("e\x1bve", "has control characters"),
        ("e\nve", "has control characters"),
        ("eve:admin", "letters, digits and . _ @ - only"),
    ],
)
def test_users_add_refuses_a_name_that_would_corrupt_the_file(tmp_path, name, said):
    path = tmp_path / "users.txt"
    Users(path).add("alice", "alice password")
    before = path.read_text(encoding="utf-8")
    env = isolated_env(tmp_path / "data") | {"INTERVIEWER_USERS": str(path)}
    result = run_cli("users", "add", name, stdin="a long enough password\n", env=env)
    assert result.code != 0
    assert result.err.strip().startswith("error: user name ") and said in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == before
    assert Users.load(path).check("alice", "alice password")
