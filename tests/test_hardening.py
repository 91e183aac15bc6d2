"""Fixes from a session as a careless and hostile user (issue 12): each test failed before its fix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.errors import ConfigError
from interviewer.owner import Owner
from interviewer.presentation import render_transcript
from interviewer.service import Interviewer
from interviewer.store import Store
from tests.support.fake_openai import FakeOpenAI
from tests.support.net import free_port
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ANSWER = "Bias audits, human oversight and content filtering before release, then monitoring for harms."


def run_session(core: Interviewer, base_url: str) -> str:
    choice = core.grader_for(base_url, "fake-model", "")
    session = core.start(QUESTIONS[:1], core.session_settings(count=1, followups=0), choice)
    asyncio.run(core.answer(session, ANSWER))
    return choice.label


# -- 4. credentials in a base URL ------------------------------------------------------------------


@pytest.mark.parametrize("working", [True, False])
def test_credentials_in_a_base_url_are_never_shown_stored_or_exported(tmp_path, working):
    store = Store(tmp_path / "data")
    core = Interviewer(store, Settings(llm_timeout=2, llm_retries=0, llm_budget=5), Owner.browser("b"))
    with FakeOpenAI(responder=grade_responder) as fake:
        port = fake.port if working else free_port()
        query = "" if working else "?api-key=q-s3cr3t"  # a key in a query string is a secret too
        label = run_session(core, f"http://bob:s3cr3t-pw@127.0.0.1:{port}/v1{query}")
    [row] = core.sessions()
    transcript = core.saved_transcript(row.id)
    assert (transcript.turns[0].grade.fallback_reason is None) == working
    shown = [label, *(render_transcript(transcript, fmt) for fmt in ("markdown", "json", "html"))]
    shown.append(store.path.read_bytes().decode("utf-8", "replace"))
    for text in shown:
        assert "s3cr3t" not in text and "bob" not in text
    assert f"127.0.0.1:{port}" in label


def test_a_base_url_that_cannot_be_a_server_is_refused_at_start_in_the_forms_words():
    core = Interviewer(None, Settings(), Owner.browser("b"))
    for url in ("not a url", "ftp://example.org/v1", "http://:80/v1"):
        with pytest.raises(ConfigError, match="base URL"):
            core.grader_for(url, "m", "")
    with pytest.raises(ConfigError, match="base URL .* or an API key") as info:
        core.grader_for("", "llama3.1", "")  # a model alone
    assert "OPENAI" not in str(info.value) and "INTERVIEWER" not in str(info.value)
    assert json.dumps(str(info.value))  # plain text
