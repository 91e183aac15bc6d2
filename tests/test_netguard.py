"""A hosted app (not on loopback) never sends requests to internal hosts a visitor types as an LLM base URL
(issue 16, security): browser LLM settings are off there by default, and when the host turns them on a
typed URL must resolve to public addresses or to what INTERVIEWER_LLM_URL_ALLOW lets through."""

from __future__ import annotations

import pytest

from interviewer.config import Settings
from interviewer.errors import ConfigError
from interviewer.netguard import refusal
from interviewer.owner import Owner
from interviewer.service import App

NAMES = {"internal.corp": ["10.0.0.5"], "api.example.com": ["93.184.216.34"], "mixed.example": ["93.184.216.34",
         "192.168.0.9"], "ollama.internal": ["10.9.9.9"]}  # fmt: skip


def fake_resolver(host: str) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    return [host]  # an address given as such


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1:11434/v1", "loopback"),
    ("http://[::1]:8000/v1", "loopback"),
    ("http://10.1.2.3/v1", "private"),
    ("http://172.16.0.1/v1", "private"),
    ("http://192.168.1.5/v1", "private"),
    ("http://[fd00::1]/v1", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[fe80::1]/v1", "link-local"),
    ("http://internal.corp/v1", "private"),  # a name that resolves to a private address
    ("http://mixed.example/v1", "private"),  # one private address among public ones is enough
    ("http://[::ffff:127.0.0.1]/v1", "loopback"),  # IPv4-mapped
    ("http://[64:ff9b::a9fe:a9fe]/v1", "link-local"),  # NAT64 to 169.254.169.254: global-looking, internal
    ("http://[64:ff9b:1::a00:1]/v1", "private"),  # a network's own NAT64 prefix
    ("http://[2002:a00:1::1]/v1", "private"),  # 6to4 around 10.0.0.1
    # Every IPv6 form that carries an IPv4 address, the IPv4 address judged by the IPv4 rules:
    ("http://[::127.0.0.1]/v1", "loopback"),  # IPv4-compatible (::/96)
    ("http://[::a9fe:a9fe]/v1", "link-local"),  # IPv4-compatible, in hex: 169.254.169.254
    ("http://[::10.0.0.1]/v1", "private"),
    ("http://[::ffff:0:127.0.0.1]/v1", "loopback"),  # SIIT, IPv4-translated (::ffff:0:0:0/96)
    ("http://[::ffff:0:a9fe:a9fe]/v1", "link-local"),
    ("http://[::ffff:a9fe:a9fe]/v1", "link-local"),  # IPv4-mapped, in hex
    ("http://[::ffff:192.168.1.5]/v1", "private"),
    ("http://[64:ff9b::7f00:1]/v1", "loopback"),  # NAT64 to 127.0.0.1
    ("http://[64:ff9b::10.1.2.3]/v1", "private"),
    ("http://[64:ff9b:1::a9fe:a9fe]/v1", "link-local"),  # a local NAT64 prefix, named by what it carries
    ("http://[64:ff9b:1::5db8:d822]/v1", "private"),  # ... and refused even around a public address
    ("http://[2002:7f00:1::]/v1", "loopback"),  # 6to4 around 127.0.0.1
    ("http://[2002:a9fe:a9fe::1]/v1", "link-local"),
    ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/v1", "private"),  # Teredo, its client (inverted) 10.0.0.1
    ("http://[2001:0:a9fe:a9fe::1]/v1", "link-local"),  # Teredo, its server 169.254.169.254
    ("http://[::]/v1", "unspecified"),  # IPv6's own, not an IPv4-compatible 0.0.0.0
    ("http://0.0.0.0/v1", "unspecified"),
    ("http://[::0.0.0.2]/v1", "private"),
    ("http://[ff02::1]/v1", "multicast"),
    ("http://224.0.0.1/v1", "multicast"),
])  # fmt: skip
def test_internal_targets_are_refused_by_address_class(url, kind):
    problem = refusal(url, resolver=fake_resolver)
    assert problem is not None and f"is {'an' if kind[0] in 'aeiou' else 'a'} {kind} address" in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "::5db8:d822", "::ffff:93.184.216.34", "::ffff:0:5db8:d822",
                                     "64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700::1111"])  # fmt: skip
def test_an_ipv6_form_of_a_public_ipv4_address_passes_as_the_address_does(address):
    url = f"http://[{address}]/v1" if ":" in address else f"http://{address}/v1"
    assert refusal(url, resolver=fake_resolver) is None


def test_a_url_whose_host_cannot_be_read_is_refused_not_raised():
    assert refusal("http://[::1/v1", resolver=fake_resolver) == "its host cannot be read"


def test_the_guard_at_connect_refuses_an_embedded_internal_address_a_name_resolves_to():
    """What a name resolves to is judged as a typed address is: `::127.0.0.1` from DNS is loopback too."""
    from interviewer.netguard import Allowed

    problem = Allowed().refusal_of_any("sneaky.example", ["93.184.216.34", "::ffff:0:7f00:1"])
    assert problem is not None and "sneaky.example is a loopback address (127.0.0.1)" in problem


def test_public_targets_and_what_the_host_allows_pass():
    assert refusal("https://api.example.com/v1", resolver=fake_resolver) is None
    assert refusal("http://[64:ff9b::5db8:d822]/v1", resolver=fake_resolver) is None  # NAT64 to a public address
    assert refusal("http://ollama.internal:11434/v1", ["ollama.internal"], resolver=fake_resolver) is None
    assert refusal("http://10.1.2.3/v1", ["10.0.0.0/8"], resolver=fake_resolver) is None
    assert refusal("http://192.168.1.5/v1", ["10.0.0.0/8"], resolver=fake_resolver) is not None


def test_a_hosted_app_takes_no_browser_llm_settings_unless_turned_on_and_then_refuses_internal_urls():
    local, hosted = Settings(), Settings(server_name="0.0.0.0")
    assert local.exposure.browser_llm and not hosted.exposure.browser_llm
    with pytest.raises(ConfigError, match="does not take LLM settings from the browser"):
        App(None, hosted).grader_for("https://api.example.com/v1", "m", "k")
    opened = App(None, hosted.model_copy(update={"browser_llm_settings": True})).scope(Owner.terminal())
    for url in ("http://169.254.169.254/v1", "http://localhost:11434/v1", "http://127.0.0.1:8080/v1"):
        with pytest.raises(ConfigError, match="the base URL is refused"):
            opened.app.grader_for(url, "m", "k")
    # A local app keeps its use: a model server on the same machine (Ollama, llama.cpp).
    assert App(None, local).grader_for("http://localhost:11434/v1", "m", "").label


def test_redirects_from_an_llm_server_are_not_followed():
    """A server that answers with a redirect (to where an internal service could be) gets no second request:
    the grading falls back offline and says why."""
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from interviewer.grading.factory import choose_grader
    from interviewer.grading.models import GradeRequest
    from tests.support.fake_openai import FakeOpenAI

    with FakeOpenAI() as target:
        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.send_response(307)
                self.send_header("Location", f"{target.base_url}/chat/completions")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/v1"
            grader = choose_grader(Settings(grader="llm", base_url=url, model="m", llm_retries=0)).grader
            grade = asyncio.run(grader.grade(GradeRequest(question="What is bias?", reference="Skewed data.",
                                                          answer="Data that is skewed.")))  # fmt: skip
        finally:
            server.shutdown()
        assert target.requests == []  # the redirect was not followed
    assert grade.grader == "offline:words" and grade.fallback_reason


def test_replicas_behind_a_proxy_are_hosted_though_they_listen_on_loopback():
    from interviewer.web.setup import server_settings

    behind = Settings(hosted=True)  # what deploy/run-replicas.sh sets
    assert behind.exposure.hosted and not behind.exposure.browser_llm and behind.exposure.needs_login
    with pytest.raises(ConfigError, match="refusing to serve others without a login"):
        server_settings(behind)
    opened = App(None, behind.model_copy(update={"browser_llm_settings": True})).scope(Owner.terminal())
    with pytest.raises(ConfigError, match="the base URL is refused"):
        opened.app.grader_for("http://169.254.169.254/latest/meta-data", "m", "k")
    assert Settings(users="users.txt").exposure.hosted and not Settings().exposure.hosted
    assert not Settings(users="users.txt").exposure.needs_login  # people log in
    assert not Settings(server_name="0.0.0.0", allow_open=True).exposure.needs_login  # the open door, chosen
    assert Settings(llm_url_allow=" ollama.lan, 10.0.0.0/8 ,").exposure.llm_hosts == ("ollama.lan", "10.0.0.0/8")


def test_a_name_that_rebinds_to_an_internal_address_after_the_check_is_refused_at_connect(monkeypatch):
    """DNS rebinding: `rebind.example` resolves to a public address when the visitor types it, and to 127.0.0.1
    (where a fake LLM stands in for an internal service) when the client connects. The hosted app's client
    checks the address it connects to, so no request arrives and the grading falls back offline, saying why.
    The same server is reached when the host allows loopback."""
    import asyncio
    import socket

    from interviewer.grading.models import GradeRequest
    from tests.support.fake_openai import FakeOpenAI

    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):  # the name's DNS answer changes between two lookups
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    request = GradeRequest(question="What is bias?", reference="Skewed data.", answer="Data that is skewed.")
    hosted = Settings(hosted=True, browser_llm_settings=True, llm_retries=0)
    with FakeOpenAI() as fake:
        url = f"http://rebind.example:{fake.port}/v1"
        grade = asyncio.run(App(None, hosted).grader_for(url, "m", "").grader.grade(request))
        assert lookups == ["rebind.example", "rebind.example"]  # checked public, then connected as loopback
        assert fake.requests == []
        assert grade.grader == "offline:words" and "loopback address (127.0.0.1)" in (grade.fallback_reason or "")

        allowed = hosted.model_copy(update={"llm_url_allow": "127.0.0.0/8"})
        lookups.clear()
        grade = asyncio.run(App(None, allowed).grader_for(url, "m", "").grader.grade(request))
        assert len(fake.requests) == 1 and grade.grader == "llm:m"  # allowed by the host: the same server answers
