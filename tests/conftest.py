"""Shared fixtures: no test touches the user's data folder, environment settings or the network."""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from pydantic import AliasChoices

from interviewer.config import Settings
from tests.support import netguard
from tests.support.postgres import Postgres

os.environ["INTERVIEWER_SEMANTIC"] = "0"  # for module-scoped fixtures too; see isolated_environment
# Gradio's file cache in a folder of this run's own, not the shared /tmp/gradio another user may own
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="interviewer-tests-gradio-"))

_SETTINGS_VARS = [  # every variable Settings reads, so that none leaks in from the developer's shell
    name
    for field in Settings.model_fields.values()
    if isinstance(field.validation_alias, AliasChoices)
    for name in field.validation_alias.choices
    if isinstance(name, str)
]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Point the data folder at a temp dir and clear settings that would pick an LLM."""
    for name in _SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    # The offline grader reads by words here unless a test asks for meaning (tests/test_semantic.py and the
    # grader-quality tests run the real model): embedding every reply would make the suite minutes slower.
    monkeypatch.setenv("INTERVIEWER_SEMANTIC", "0")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def fresh_llm_capabilities():
    """What servers were seen to reject is remembered per (server, model) for the process: start each test afresh."""
    from interviewer.llm import LLMClient

    LLMClient._capabilities.clear()
    yield
    LLMClient._capabilities.clear()


@pytest.fixture(scope="session", autouse=True)
def loopback_only():
    """Sockets may connect to loopback and Unix sockets only, for the whole session (tests/support/netguard.py)."""
    with netguard.installed():
        yield


@pytest.fixture(autouse=True)
def no_network(loopback_only):
    """Fail a test that tried to connect beyond loopback, even where the code under test swallowed the error."""
    netguard.attempts.clear()
    yield
    netguard.fail_if_attempted()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a module's browser tests; each test opens its own context (support.browser)."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the whole run (tests/support/postgres.py): a test takes a database."""
    with Postgres() as server:
        yield server


def pytest_collection_modifyitems(items):
    """A test that takes the PostgreSQL server is marked `postgres`, so the quick loop can leave it out."""
    for item in items:
        if "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str | None:
    """Each store test runs on both databases: None is the default SQLite file in the data folder, else a new,
    empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t{uuid.uuid4().hex[:16]}")
