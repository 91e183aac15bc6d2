"""The application core and what the house promises around it: owners, resume, --all-owners, migration 4,
logging without answer text, clear setting errors, and `app.demo`."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.errors import GraderError, InterviewerError
from interviewer.migrations import head
from interviewer.owner import ALL_OWNERS, Owner
from interviewer.service import App, OwnerScope, resume_saved
from interviewer.session import Graders, Session, SessionSettings
from interviewer.store import Store
from tests.support.cli import run_cli
from tests.support.legacy_schema import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ANSWER = "Bias audits, human oversight and content filtering before release."


def core(tmp_path: Path, owner: Owner) -> OwnerScope:
    return App(Store(tmp_path / "data"), Settings()).scope(owner)


def started(c: OwnerScope, n: int = 2) -> Session:
    settings = c.app.session_settings(count=n, followups=0)
    session = c.start(QUESTIONS[:n], settings)
    asyncio.run(session.answer(ANSWER))
    return session


def test_each_owner_resumes_and_reads_only_its_own_sessions(tmp_path):
    terminal, browser = core(tmp_path, Owner.terminal()), core(tmp_path, Owner.browser("b1"))
    mine = started(terminal)
    theirs = started(browser)  # newer than the terminal's: still not the terminal's to resume
    assert terminal.resume().session_id == mine.session_id
    assert browser.resume().session_id == theirs.session_id
    assert [r.id for r in terminal.sessions()] == [mine.session_id]
    assert {r.id for r in terminal.sessions(ALL_OWNERS)} == {mine.session_id, theirs.session_id}
    with pytest.raises(InterviewerError, match="no session"):
        browser.resume(mine.session_id)  # a browser never reaches another owner's session
    with pytest.raises(InterviewerError, match="no session"):
        terminal.saved_transcript(theirs.session_id)


def test_the_terminal_resumes_a_browsers_session_by_id_and_it_stays_the_browsers(tmp_path):
    terminal, browser = core(tmp_path, Owner.terminal()), core(tmp_path, Owner.browser("b1"))
    theirs = started(browser)
    resumed = resume_saved(terminal.app, terminal.resolve(theirs.session_id[:8], ALL_OWNERS))
    asyncio.run(resumed.answer("Second answer."))
    assert resumed.finished
    assert terminal.sessions() == []
    [row] = browser.sessions()
    assert row.id == theirs.session_id and row.finished_at is not None and row.answered == 2
    assert browser.review_states() and not terminal.review_states()


def test_no_unfinished_session_is_a_clear_error(tmp_path):
    with pytest.raises(InterviewerError, match="no unfinished session"):
        core(tmp_path, Owner.terminal()).resume()


def test_session_settings_follow_the_configured_followups():
    c = App(None, Settings(followups=2)).scope(Owner.terminal())
    assert c.app.session_settings().followups == 2
    assert c.app.followups_on(True) == 2 and c.app.followups_on(False) == 0  # the page's switch
    assert App(None, Settings(followups=0)).followups_on(True) == 1
    with pytest.raises(ValueError):
        c.app.session_settings(order="sideways")


def test_history_off_still_runs_sessions_and_reads_nothing():
    c = App(None, Settings()).scope(Owner.browser("b"))
    session = started(c, 1)
    assert session.finished and c.sessions() == [] and c.question_stats() == [] and c.progress() == []
    with pytest.raises(InterviewerError, match="history is off"):
        c.resume()


def test_cli_history_shows_the_terminals_sessions_unless_all_owners(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    theirs = started(core(tmp_path, Owner.browser("b1")))
    mine = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=ANSWER + "\n\n", env=env)
    assert mine.code == 0, mine.err
    own = json.loads(run_cli("history", "--json", env=env).out)
    every = json.loads(run_cli("history", "--json", "--all-owners", env=env).out)
    assert len(own) == 1 and own[0]["id"] != theirs.session_id
    assert {r["id"] for r in every} == {own[0]["id"], theirs.session_id}
    hidden = run_cli("history", "export", theirs.session_id[:8], env=env)
    assert hidden.code == 1 and "no session" in hidden.err
    shown = run_cli("history", "export", theirs.session_id[:8], "--all-owners", "--format", "json", env=env)
    assert shown.code == 0 and json.loads(shown.out)["session_id"] == theirs.session_id
    # practice --resume: the terminal's own latest (finished here), never the browser's unfinished one
    resumed = run_cli("practice", "--resume", env=env)
    assert resumed.code == 1 and "no unfinished session" in resumed.err


def test_migration_4_gives_the_command_lines_old_sessions_to_the_terminal(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:  # a history written by schema 3: the terminal's sessions have no owner
        for script in MIGRATIONS[:3]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 3")
        for sid, owner in (("old-terminal", None), ("old-browser", "b1")):
            conn.execute("INSERT INTO sessions (id, owner, started_at, settings, grader, questions, total)"
                         " VALUES (?, ?, '2026-01-01T00:00:00+00:00', '{}', 'offline', '[]', 1)", (sid, owner))
    store = Store(tmp_path)
    assert store.revision == head() == "0006"
    assert [r.id for r in store.sessions(Owner.terminal())] == ["old-terminal"]
    assert [r.id for r in store.sessions(Owner.browser("b1"))] == ["old-browser"]


def test_a_failing_followup_writer_is_logged_without_the_answer(caplog):
    class Broken:
        async def write(self, request, missed, usage=None):
            raise GraderError("the LLM server at x did not answer")
            yield ""  # pragma: no cover

    secret = "MY-PRIVATE-ANSWER-TEXT"
    session = Session.start([QUESTIONS[0]], SessionSettings(count=1, followups=1),
                            graders=Graders(followup_writer=Broken()))
    with caplog.at_level(logging.DEBUG, logger="interviewer"):
        step = asyncio.run(session.answer(f"Bias only. {secret}"))
    assert step.followup, "the template follow-up was asked instead"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and "did not answer" in warnings[0].getMessage()
    assert all(secret not in r.getMessage() for r in warnings)


def test_verbose_flag_and_log_level_setting(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "in.jsonl").write_text(json.dumps({"question": "q", "reference": "r", "answer": "a"}) + "\n")
    quiet = run_cli("grade", "--input", "in.jsonl", "--grader", "offline", env=env)
    loud = run_cli("-vv", "grade", "--input", "in.jsonl", "--grader", "offline", env=env)
    assert quiet.code == loud.code == 0
    assert "DEBUG" not in quiet.err and "DEBUG" in loud.err
    by_setting = run_cli("grade", "--input", "in.jsonl", "--grader", "offline",
                         env={**env, "INTERVIEWER_LOG_LEVEL": "debug"})
    assert "DEBUG" in by_setting.err


def test_a_non_numeric_port_gets_our_message_not_gradios_traceback():
    result = run_cli("serve", env={"GRADIO_SERVER_PORT": "eighty"})
    assert result.code == 1
    assert result.err.startswith("error: invalid setting: GRADIO_SERVER_PORT") and "Traceback" not in result.err


def test_importing_app_builds_demo_without_launching():
    import gradio as gr

    import app

    assert isinstance(app.demo, gr.Blocks)
    assert not getattr(app.demo, "is_running", False)
    assert {"start", "answer", "transcript"} <= {d.api_name for d in app.demo.fns.values()}
