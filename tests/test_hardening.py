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
from tests.support.cli import run_cli
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


# -- 5. tampered transcripts ------------------------------------------------------------------------


def exported_transcript(tmp_path: Path) -> dict:
    core = Interviewer(Store(tmp_path / "src"), Settings(), Owner.terminal())
    session = core.start(QUESTIONS[:1], core.session_settings(count=1, followups=0))
    asyncio.run(core.answer(session, ANSWER))
    return json.loads(render_transcript(core.saved_transcript(session.session_id), "json"))


@pytest.mark.parametrize("field, value, named", [
    ("session_id", "", "session_id"),
    ("session_id", "../../etc/passwd", "session_id"),
    ("session_id", "a%b_c%d", "session_id"),
    ("settings", {"mode": "evil", "count": 1}, "settings.mode"),
    ("settings", {"count": 0}, "settings.count"),
])
def test_a_tampered_transcript_is_refused_with_the_field_named(tmp_path, field, value, named):
    data = exported_transcript(tmp_path)
    data[field] = value
    (tmp_path / "t.json").write_text(json.dumps(data), encoding="utf-8")
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("history", "import", "t.json", env=env)
    assert result.code == 1 and named in result.err and "Traceback" not in result.err
    assert json.loads(run_cli("history", "--json", env=env).out) == []  # nothing half-imported


def test_id_prefixes_are_plain_text_not_wildcards(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    for _ in range(2):
        assert run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=ANSWER + "\n\n",
                       env=env).code == 0  # fmt: skip
    for pattern in ("%", "_", "", "%%%%"):
        result = run_cli("history", "export", pattern, env=env)
        assert result.code == 1 and "matches 2 sessions" not in result.err, pattern
    [first, _] = json.loads(run_cli("history", "--json", env=env).out)
    assert run_cli("history", "delete", first["id"][:6], "--yes", env=env).code == 0


# -- 6. a bank's reference in the Markdown export -----------------------------------------------------


def test_the_markdown_export_shows_a_banks_reference_literally(tmp_path):
    from interviewer.bank import parse_bank

    hostile = ("# Bank\n\n## 1. What is bias?\n\n**Answer:**\nSkewed data. <script>alert(1)</script> "
               "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n")
    question = parse_bank(hostile, "hostile.md").questions[0]
    core = Interviewer(None, Settings(), Owner.terminal())
    session = core.start([question], core.session_settings(count=1, followups=0))
    asyncio.run(core.answer(session, "Skewed training data leads to skewed outputs and unfair decisions."))
    markdown = render_transcript(session.transcript(), "markdown")
    reference = markdown[markdown.index("<summary>Reference answer</summary>"):]
    opens, closes = reference.index("~~~~text"), reference.index("~~~~", reference.index("~~~~text") + 4)
    assert opens < reference.index("<script>alert(1)</script>") < closes  # inside a literal block: text
    assert opens < reference.index("[click](javascript:") < closes
