"""Shared fixtures: no test touches the user's data folder, environment settings or the network."""

from __future__ import annotations

import pytest

_SETTINGS_VARS = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "INTERVIEWER_MODEL", "INTERVIEWER_GRADER", "INTERVIEWER_BANK",
    "INTERVIEWER_LLM_TIMEOUT", "INTERVIEWER_LLM_RETRIES", "INTERVIEWER_LLM_BUDGET", "INTERVIEWER_TEMPERATURE",
    "INTERVIEWER_SEED", "INTERVIEWER_FOLLOWUPS",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Point the data folder at a temp dir and clear settings that would pick an LLM."""
    for name in _SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def fresh_llm_capabilities():
    """What servers were seen to reject is remembered per (server, model) for the process: start each test afresh."""
    from interviewer.llm import LLMClient

    LLMClient._capabilities.clear()
    yield
    LLMClient._capabilities.clear()
