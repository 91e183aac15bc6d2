"""The web app's handlers called directly, without a server or a browser: what each event returns, and that
rendering its view model writes no file (downloads are written when their button is clicked)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from pathlib import Path

from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.service import App
from interviewer.store import Store
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.history_events import HistoryTab
from interviewer.web.layout import Layout
from interviewer.web.render import render
from interviewer.web.setup import bundled_banks
from interviewer.web.views import NoticeView, PageView

ME = Owner.browser("me")
ANSWER = "Bias audits, human oversight and content filtering before release, then monitoring for harms."


def handlers(tmp_path: Path) -> tuple[Handlers, HistoryTab]:
    settings = Settings(data_dir=tmp_path / "data", grader="offline")
    app = App(Store(tmp_path / "data"), settings)
    banks = bundled_banks(settings)
    return Handlers(app, banks), HistoryTab(app, banks)


def form(h: Handlers, **changes) -> StartForm:
    fields_ = dict(banks=[next(iter(h.banks))], count=2, order="in-order", mode="practice", followups=False,
                   base_url="", model="", api_key="", upload=None)  # fmt: skip
    return StartForm(**{**fields_, **changes})


def stand_in_layout() -> Layout:
    return Layout(**{f.name: f.name for f in fields(Layout)})  # component names stand in for the components


def test_an_answer_is_echoed_then_graded_and_rendering_it_writes_no_file(tmp_path):
    h, _ = handlers(tmp_path)
    ws = asyncio.run(h.start(form(h), ME, None, "tab")).ws

    async def answer():
        return [(vm, list(ws.chat)) async for vm in h.answer(ANSWER, ws)]  # the chat as each event showed it

    (_, echoed), *_, (final, _) = asyncio.run(answer())
    assert echoed[-2]["role"] == "user" and echoed[-1]["content"] == "…"  # shown before grading
    assert isinstance(final, PageView) and "The feedback is below the chat." in ws.chat[-2]["content"]
    assert ws.chat[-1]["content"].startswith("Question 2 of 2")
    render(final, stand_in_layout())
    assert not ws.folder.exists() or not any(ws.folder.iterdir())  # no transcript written on a render
    saved = Path(h.download("json", ws))
    assert json.loads(saved.read_text(encoding="utf-8"))["turns"][0]["answer"] == ANSWER


def test_a_refused_retry_says_why_and_keeps_the_page(tmp_path):
    h, _ = handlers(tmp_path)
    ws = asyncio.run(h.start(form(h, mode="mock"), ME, None, "tab")).ws
    said = asyncio.run(h.retry(ws))
    assert isinstance(said, NoticeView) and "Mock mode has no retries" in said.text


def test_a_past_session_that_cannot_be_opened_says_why(tmp_path):
    _, history = handlers(tmp_path)
    shown = history.open_past("0123abcd", ME)
    assert shown.files is None and "That session cannot be opened" in shown.cards


def test_nothing_to_download_before_an_interview(tmp_path):
    h, _ = handlers(tmp_path)
    assert h.download("markdown", None) is None
