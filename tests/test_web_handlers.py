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
from interviewer.web.handlers import NOT_STARTED, Handlers, StartForm
from interviewer.web.history_events import HistoryTab
from interviewer.web.layout import Layout
from interviewer.web.render import render
from interviewer.web.setup import bundled_banks
from interviewer.web.views import NoticeView, PageView, ResumeHere

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


# -- End with an answer typed and not sent (issue 24: nothing typed is dropped without asking) ------------------


def started(tmp_path: Path, **changes):
    h, history = handlers(tmp_path)
    ws = asyncio.run(h.start(form(h, **changes), ME, None, "tab")).ws
    return h, history, ws


def test_end_with_unsent_text_asks_first_and_ends_nothing(tmp_path):
    from interviewer.web.views import EndAsked

    h, _, ws = started(tmp_path)
    for unsent in ("A half-written answer", "  several\n\nparagraphs  "):
        asked = asyncio.run(h.end(ws, unsent))
        assert isinstance(asked, EndAsked) and not ws.session.finished
        shown = render(asked, stand_in_layout())
        assert shown["end_ask"]["visible"] is True and "not sent" in shown["end_ask_md"]
    assert isinstance(asyncio.run(h.end(ws, "   ")), PageView) and ws.session.finished  # blank: nothing to ask


def test_keep_it_as_a_draft_saves_the_text_with_the_interview(tmp_path):
    h, history, ws = started(tmp_path, count=3)
    asyncio.run(_all(h.answer(ANSWER, ws)))
    draft = "The second answer, half written:\n\nwith a second paragraph."
    asyncio.run(h.end_keeping(draft, ws))
    saved = json.loads(Path(h.download("json", ws)).read_text(encoding="utf-8"))
    assert saved["turns"][1]["draft"] == draft and saved["turns"][1]["answer"] is None
    assert saved["summary"]["answered"] == 1 and saved["summary"]["skipped"] == 0 and saved["summary"]["unsent"] == 1
    stored = h.app.scope(ME).saved_transcript(ws.session.session_id)  # and in the history
    assert stored.turns[1].draft == draft
    assert "kept unsent" in Path(h.download("markdown", ws)).read_text(encoding="utf-8")


def test_send_it_grades_the_text_then_ends(tmp_path):
    h, _, ws = started(tmp_path)
    asyncio.run(_all(h.end_sending(ANSWER, ws)))
    assert ws.session.finished and ws.session.turns[0].answer == ANSWER and ws.session.turns[0].grade is not None


def test_discard_it_ends_without_the_text_and_clears_the_box(tmp_path):
    h, _, ws = started(tmp_path)
    asyncio.run(h.keep_draft("typed, then thrown away", ws))
    view = asyncio.run(h.end_discarding(ws))
    assert ws.session.finished and not ws.session.turns and view.answer == ""


def test_the_autosaved_draft_comes_back_on_resume(tmp_path):
    h, _, ws = started(tmp_path)
    asyncio.run(_all(h.answer(ANSWER, ws)))
    for typed in ("Half", "Half an answer, then the page was closed"):
        asyncio.run(h.keep_draft(typed, ws))
    fresh, _ = handlers(tmp_path)  # another process: a restart, or another device
    resumed = asyncio.run(fresh.resume(ws.session.session_id, ME, None, "tab2"))
    assert resumed.answer == "Half an answer, then the page was closed"
    assert resumed.ws.session.index == 1  # at the question it was typed for


async def _all(events):
    return [vm async for vm in events]


def test_an_action_on_a_page_with_no_interview_offers_the_saved_one_or_says_none_runs(tmp_path):
    h, _ = handlers(tmp_path)
    assert h.closed_page(ME) == NOT_STARTED  # nothing saved: nothing to resume
    ws = asyncio.run(h.start(form(h), ME, None, "tab")).ws
    asyncio.run(h.skip(ws))
    offer = h.closed_page(ME)  # the page's interview closed while idle: the saved one is offered
    assert isinstance(offer, ResumeHere) and offer.session_id == ws.session.session_id
    assert "(1 of 2 questions answered)" in offer.text  # the skipped first question is behind them
    assert h.closed_page(Owner.browser("someone else")) == NOT_STARTED  # never another's
    assert h.closed_page(None) == NOT_STARTED
