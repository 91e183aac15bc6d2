"""The app binds 127.0.0.1 by default; any other address needs a login unless the operator opts out."""

from __future__ import annotations

import pytest

from interviewer.errors import ConfigError
from interviewer.web.setup import server_settings


def test_loopback_by_default(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("INTERVIEWER_AUTH", raising=False)
    options = server_settings()
    assert options["server_name"] == "127.0.0.1" and "auth" not in options


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org", "::"])
def test_other_addresses_need_a_login(monkeypatch, host):
    monkeypatch.setenv("GRADIO_SERVER_NAME", host)
    monkeypatch.delenv("INTERVIEWER_AUTH", raising=False)
    monkeypatch.delenv("INTERVIEWER_ALLOW_OPEN", raising=False)
    with pytest.raises(ConfigError, match="INTERVIEWER_AUTH"):
        server_settings()
    monkeypatch.setenv("INTERVIEWER_AUTH", "teacher:s3cret")
    assert server_settings()["auth"] == ("teacher", "s3cret")
    monkeypatch.delenv("INTERVIEWER_AUTH")
    monkeypatch.setenv("INTERVIEWER_ALLOW_OPEN", "1")
    assert "auth" not in server_settings()


def test_a_malformed_login_is_refused(monkeypatch):
    monkeypatch.setenv("INTERVIEWER_AUTH", "no-colon")
    with pytest.raises(ConfigError, match="user:password"):
        server_settings()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_addresses_need_no_login(monkeypatch, host):
    monkeypatch.setenv("GRADIO_SERVER_NAME", host)
    monkeypatch.delenv("INTERVIEWER_AUTH", raising=False)
    assert server_settings()["server_name"] == host
