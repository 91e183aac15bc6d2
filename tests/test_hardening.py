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
from interviewer.service import App, OwnerScope
from interviewer.session import Graders
from interviewer.store import Store
from tests.support.cli import run_cli
from tests.support.fake_openai import FakeOpenAI
from tests.support.net import free_port
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ANSWER = "Bias audits, human oversight and content filtering before release, then monitoring for harms."


def run_session(core: OwnerScope, base_url: str) -> str:
    choice = core.app.grader_for(base_url, "fake-model", "")
    session = core.start(QUESTIONS[:1], core.app.session_settings(count=1, followups=0), choice)
    asyncio.run(session.answer(ANSWER))
    return choice.label


# -- 4. credentials in a base URL ------------------------------------------------------------------


@pytest.mark.parametrize("working", [True, False])
def test_credentials_in_a_base_url_are_never_shown_stored_or_exported(tmp_path, working):
    store = Store(tmp_path / "data")
    core = App(store, Settings(llm_timeout=2, llm_retries=0, llm_budget=5)).scope(Owner.browser("b"))
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
    core = App(None, Settings()).scope(Owner.browser("b"))
    for url in ("not a url", "ftp://example.org/v1", "http://:80/v1"):
        with pytest.raises(ConfigError, match="base URL"):
            core.app.grader_for(url, "m", "")
    with pytest.raises(ConfigError, match="base URL .* or an API key") as info:
        core.app.grader_for("", "llama3.1", "")  # a model alone
    assert "OPENAI" not in str(info.value) and "INTERVIEWER" not in str(info.value)
    assert json.dumps(str(info.value))  # plain text


# -- 6. a bank's reference in the Markdown export -----------------------------------------------------


def test_the_markdown_export_shows_a_banks_reference_literally(tmp_path):
    from interviewer.bank import parse_bank

    hostile = ("# Bank\n\n## 1. What is bias?\n\n**Answer:**\nSkewed data. <script>alert(1)</script> "
               "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n")
    question = parse_bank(hostile, "hostile.md").questions[0]
    core = App(None, Settings()).scope(Owner.terminal())
    session = core.start([question], core.app.session_settings(count=1, followups=0))
    asyncio.run(session.answer("Skewed training data leads to skewed outputs and unfair decisions."))
    markdown = render_transcript(session.transcript(), "markdown")
    reference = markdown[markdown.index("<summary>Reference answer</summary>"):]
    opens, closes = reference.index("~~~~text"), reference.index("~~~~", reference.index("~~~~text") + 4)
    assert opens < reference.index("<script>alert(1)</script>") < closes  # inside a literal block: text
    assert opens < reference.index("[click](javascript:") < closes


# -- 8, 9, 10: clean errors at the edges ----------------------------------------------------------------


@pytest.mark.slow
def test_python_app_py_on_a_busy_port_says_so_in_one_line(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "INTERVIEWER_DATA_DIR": str(tmp_path / "d"), "GRADIO_SERVER_PORT": str(port),
               "GRADIO_ANALYTICS_ENABLED": "False", "HOME": str(tmp_path)}  # fmt: skip
        result = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True,
                                timeout=120)  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: cannot serve the app") and "Traceback" not in result.stderr


@pytest.mark.slow
def test_output_cut_short_by_a_reader_is_not_an_error(tmp_path):
    import subprocess
    import sys

    bank = "# Big\n\n" + "".join(f"## {n}. Question {n}?\n\n**Answer:**\n{'Word ' * 200}\n\n" for n in range(1, 301))
    (tmp_path / "big.md").write_text(bank, encoding="utf-8")
    command = f"{sys.executable} -m interviewer bank export big.md --format jsonl | head -n 1"
    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "INTERVIEWER_DATA_DIR": str(tmp_path / "d")})  # fmt: skip
    assert result.stdout.count("\n") == 1 and json.loads(result.stdout)["number"] == 1
    assert result.stderr == "", result.stderr  # no "Broken pipe" error, no traceback


def test_grade_never_writes_nan_and_refuses_it_in_input(tmp_path):
    lines = ['{"question": "What is bias?", "reference": "Skewed data.", "answer": "Skewed data.", "id": 1}',
             '{"question": "What is bias?", "reference": "Skewed data.", "answer": "Skew.", "weight": NaN}']
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("grade", "--input", "in.jsonl", "--grader", "offline")
    assert result.code == 1 and "in.jsonl:2: error: not valid JSON (NaN is not JSON" in result.err
    assert "NaN" not in result.out and json.loads(result.out)["id"] == 1


# -- 13. banks that swallow questions -----------------------------------------------------------------------


def test_an_unclosed_code_fence_is_an_error_at_the_line_it_opens(tmp_path):
    (tmp_path / "open.md").write_text("# B\n\n## 1. First?\n\n**Answer:**\nText\n```python\ncode\n\n## 2. Second?\n\n"
                                      "**Answer:**\nmore\n", encoding="utf-8")  # fmt: skip
    result = run_cli("bank", "check", "open.md")
    assert result.code == 1 and "open.md:7: error: this code fence (```) is never closed" in result.out
    from interviewer.web.setup import take_upload

    message, bank = take_upload(str(tmp_path / "open.md"))
    assert "line 7" in message and "never closed" in message and isinstance(bank, str)


def test_bank_check_warns_of_a_question_heading_inside_a_reference(tmp_path):
    bank = "# B\n\n## 1. First?\n\n**Answer:**\nText\n```\n## 2. Second?\n```\n"
    (tmp_path / "b.md").write_text(bank, encoding="utf-8")
    result = run_cli("bank", "check", "b.md", "--json")
    [report] = json.loads(result.out)
    [warning] = report["warnings"]
    assert result.code == 0 and warning["line"] == 3 and "question heading" in warning["message"]


# -- 16. small things -------------------------------------------------------------------------------------


def test_one_question_is_one_question(tmp_path):
    (tmp_path / "one.md").write_text("# Solo\n\n## 1. Only?\n\n**Answer:**\nYes.\n", encoding="utf-8")
    from interviewer.web.setup import take_upload

    assert "1 question (" in run_cli("bank", "check", "one.md").out
    message, _ = take_upload(str(tmp_path / "one.md"))
    assert "1 question " in message and "1 questions" not in message


def test_a_short_relevant_answer_is_weak_not_empty():
    from interviewer.grading.models import NO_ANSWER, GradeRequest
    from interviewer.grading.offline import OfflineGrader

    reference = "Retrieval-Augmented Generation (RAG) retrieves relevant documents, then generates a grounded answer."
    grade = OfflineGrader().assess(GradeRequest(question="How does RAG work?", reference=reference,
                                                answer="Retrieve then generate"))  # fmt: skip
    assert NO_ANSWER not in grade.flags and 0 < grade.overall < 40
    assert "3 words in 1 sentence " in grade.criteria[-1].justification


def test_an_unwritable_out_folder_is_refused_before_the_session(tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = run_cli("practice", "--out", "a-file/sub", stdin="An answer that would be lost.\n\n")
    assert result.code == 1 and "--out a-file/sub" in result.err
    assert "Question 1" not in result.out  # refused before any question was asked


# -- 1, 12, 14, 15: the web app's sessions ------------------------------------------------------------------


def web_handlers(tmp_path: Path, **settings):
    from interviewer.web.handlers import Handlers
    from interviewer.web.setup import bundled_banks

    settings = Settings(data_dir=tmp_path / "data", **settings)
    return Handlers(App(Store(tmp_path / "data"), settings), bundled_banks(settings))


def start_form(**changes):
    from interviewer.web.handlers import StartForm

    fields = dict(banks=None, count=3, order="in-order", mode="practice", followups=False, base_url="", model="",
                  api_key="", upload=None)  # fmt: skip
    return StartForm(**{**fields, **changes})


async def answer(handlers, text, ws):
    return [vm async for vm in handlers.answer(text, ws)][-1]


def test_two_tabs_never_overwrite_an_answer_the_second_tab_takes_the_session_over(tmp_path):
    handlers = web_handlers(tmp_path)
    first = asyncio.run(handlers.start(start_form(banks=list(handlers.banks)[:1]), Owner.browser("browser-1"), None,
                                       "tab-1")).ws
    asyncio.run(answer(handlers, ANSWER, first))
    offer = handlers.on_load(Owner.browser("browser-1"),
                             None)  # a second tab of the same browser is offered the session
    assert offer.session_id == first.session.session_id
    second = asyncio.run(handlers.resume(offer.session_id, Owner.browser("browser-1"), None, "tab-2")).ws
    said = asyncio.run(answer(handlers, "Tab one's answer to question 2.", first))
    assert "goes on in another tab" in said.text
    asyncio.run(answer(handlers, "Tab two's answer to question 2.", second))
    saved = second.scope.saved_transcript(first.session.session_id)
    assert [t.answer for t in saved.turns[:2]] == [ANSWER, "Tab two's answer to question 2."]


def test_the_store_never_replaces_a_saved_answer_with_another(tmp_path):
    from interviewer.recorder import Recorder
    from interviewer.session import Session, SessionSettings

    store = Store(tmp_path / "data")
    settings = SessionSettings(count=1, followups=0)
    one = Session.start(QUESTIONS[:1], settings, on_event=Recorder(store, Owner.terminal()))
    two = Session.restore(QUESTIONS[:1], one.transcript(), on_event=Recorder(store, Owner.terminal()))
    asyncio.run(one.answer("The first copy's answer."))
    asyncio.run(two.answer("The second copy's answer."))
    assert "answered elsewhere" in two.on_event.problem
    assert store.transcript(one.session_id).turns[0].answer == "The first copy's answer."


def test_resuming_an_interview_graded_with_typed_llm_settings_goes_on_offline_and_says_so(tmp_path):
    handlers = web_handlers(tmp_path, llm_timeout=1, llm_retries=0, llm_budget=3)
    with FakeOpenAI(responder=grade_responder) as fake:
        form = start_form(banks=list(handlers.banks)[:1], base_url=fake.base_url, model="fake-model")
        ws = asyncio.run(handlers.start(form, Owner.browser("browser-1"), None, "tab-1")).ws
        asyncio.run(answer(handlers, ANSWER, ws))
        calls = len(fake.requests)
        resumed = asyncio.run(handlers.resume(ws.session.session_id, Owner.browser("browser-1"), None, "tab-2")).ws
        said = resumed.notice  # shown with the resumed interview
        asyncio.run(answer(handlers, "A second answer about misinformation and privacy.", resumed))
        assert len(fake.requests) == calls  # the typed server is not called again: its settings were not kept
    assert resumed.grader_label.startswith("Offline grader") and "never stored" in said and "fake-model" in said
    assert resumed.session.turns[1].grade.grader == "offline:words"


def test_stale_resume_offers_and_not_now(tmp_path):
    handlers = web_handlers(tmp_path)
    banks = list(handlers.banks)[:1]
    never_answered = asyncio.run(handlers.start(start_form(banks=banks), Owner.browser("b"), None, "t")).ws
    assert handlers.on_load(Owner.browser("b"), None).session_id is None  # no answer: nothing to resume
    answered = asyncio.run(handlers.start(start_form(banks=banks), Owner.browser("b"), None, "t")).ws
    asyncio.run(answer(handlers, ANSWER, answered))
    assert handlers.on_load(Owner.browser("b"), None).session_id == answered.session.session_id
    assert handlers.on_load(Owner.browser("b"), None,
                            dismissed=[answered.session.session_id]).session_id is None  # "Not now"
    finished = asyncio.run(handlers.start(start_form(banks=banks, count=1), Owner.browser("b"), None, "t")).ws
    asyncio.run(answer(handlers, ANSWER, finished))
    newer = handlers.on_load(Owner.browser("b"), None)
    assert finished.session.finished and newer.session_id is None  # a newer finished one
    assert never_answered.session.session_id


def test_a_missing_interviewer_bank_is_said_on_the_page(tmp_path):
    from interviewer.web.app import build_app

    demo = build_app(Settings(data_dir=tmp_path / "data", bank=str(tmp_path / "missing.md")))
    header = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "grader-label")
    assert "INTERVIEWER\\_BANK" in header.value and "missing\\.md: no such file" in header.value  # escaped Markdown


# -- 11. waits with no way out -------------------------------------------------------------------------------


def test_a_silent_server_costs_a_follow_up_its_short_budget_not_minutes_and_says_so():
    import time

    from interviewer.grading.llm_grader import LLMFollowUps, LLMGrader
    from interviewer.session import Session, SessionSettings
    from tests.support.function_model import FunctionModel

    async def silent_on_follow_ups(call):
        if call.output is None:  # the follow-up's call never gets an answer
            await asyncio.sleep(3600)
        return grade_responder(call.body())

    model = FunctionModel(silent_on_follow_ups)
    graders = Graders(grader=LLMGrader(model, Settings().llm), followup_writer=LLMFollowUps(model, budget=1.0))
    session = Session.start(QUESTIONS[:1], SessionSettings(count=1, followups=1), graders=graders)
    started = time.monotonic()
    step = asyncio.run(session.answer("Bias only."))
    waited = time.monotonic() - started
    assert step.followup and waited < 5, waited
    assert "within 1 s" in step.followup_fallback_reason


# -- 16. downloads of an interview that left nothing ---------------------------------------------------------


def test_no_stale_downloads_after_ending_before_any_answer(tmp_path):
    from dataclasses import fields

    from interviewer.web.layout import Layout
    from interviewer.web.render import render
    from interviewer.web.views import PageView

    handlers = web_handlers(tmp_path)
    ws = asyncio.run(handlers.start(start_form(banks=list(handlers.banks)[:1]), Owner.browser("b"), None, "t")).ws
    ui = Layout(**{f.name: f.name for f in fields(Layout)})  # stand-ins for the components
    assert render(PageView(ws), ui)["downloads"]["visible"] is True  # downloads at any point of a session
    asyncio.run(handlers.end(ws))
    assert render(PageView(ws), ui)["downloads"]["visible"] is False  # ended with no answer: nothing saved


@pytest.mark.parametrize("action", ["skip", "end"])
def test_skip_or_end_while_a_slow_llm_grades_stops_waiting_and_grades_offline(tmp_path, action):
    import time

    handlers = web_handlers(tmp_path, llm_timeout=60, llm_retries=0, llm_budget=60)
    with FakeOpenAI(responder=grade_responder, delay=30) as fake:
        form = start_form(banks=list(handlers.banks)[:1], count=2, base_url=fake.base_url, model="fake-model")
        ws = asyncio.run(handlers.start(form, Owner.browser("b"), None, "t")).ws

        async def answer_then_stop_waiting():
            answering = asyncio.ensure_future(answer(handlers, ANSWER, ws))
            await asyncio.sleep(0.5)
            said = await getattr(handlers, action)(ws)
            await answering
            return said

        started = time.monotonic()
        said = asyncio.run(answer_then_stop_waiting())
        waited = time.monotonic() - started
    grade = ws.session.turns[0].grade
    assert waited < 5 and grade.grader == "offline:words" and "not to wait" in grade.fallback_reason
    assert ws.session.turns[0].answer == ANSWER  # the answer is kept
    if action == "skip":
        assert "graded offline now" in said.text and not ws.session.finished
    else:
        assert ws.session.finished


def test_a_start_before_the_pages_load_event_is_saved_under_the_id_the_load_event_gives(tmp_path):
    """A fast Start (by keyboard, or a slow server) can run before the page's load event has given the browser
    its id: both must use the same new id, else the interview is saved under one owner and the History tab,
    reading the other, shows nothing."""
    from interviewer.web.app import Who
    from interviewer.web.browser_ids import BrowserIds

    class Page:
        def __init__(self, session_hash):
            self.session_hash = session_hash

    ids = BrowserIds("server key")
    who, h = Who(None, ids), web_handlers(tmp_path)
    ws = asyncio.run(h.start(start_form(banks=[next(iter(h.banks))]), who(None, Page("p1")), None, "p1")).ws
    asyncio.run(answer(h, ANSWER, ws))
    offer = h.on_load(who(None, Page("p1")), None)  # the load event comes after and stores this id
    assert offer.session_id == ws.session.session_id
    from interviewer.web.history_events import HistoryTab

    history = HistoryTab(h.app, h.banks).history(Owner.browser(offer.owner))
    assert [r[0] for r in history.sessions] == [ws.session.session_id[:8]]
    assert who(None, Page("p2")) != Owner.browser(offer.owner)
    stored = ids.token(ids.new())
    assert who(stored, Page("p1")) == ids.owner(stored)  # once the page presents its signed id, that id counts
    assert who("forged-id", Page("p3")) != Owner.browser("forged-id")  # an id this server did not sign: none
