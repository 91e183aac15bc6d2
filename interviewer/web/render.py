"""The one place that turns view models (`views.py`) into Gradio updates: a function per view model.

Updates are `gr.update` dicts where a property changes: cheaper for Gradio than component instances, whose
whole config it would rebuild on every event. Rendering reads and writes no file: downloads are built when
their button is clicked (`Handlers.download`).
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import gradio as gr
import pandas as pd

from .. import anki
from .. import webview as html
from ..conversation import questions_done
from .layout import Layout
from .state import WebSession
from .views import (
    CHART_COLUMNS,
    SESSION_COLUMNS,
    STATS_COLUMNS,
    ChatView,
    DraftView,
    EndAsked,
    HistoryView,
    NoticeView,
    PageView,
    PastView,
    ResumeHere,
    ResumeOffer,
)


def render(vm: Any, ui: Layout, within: list[Any] | None = None) -> Any:
    """The Gradio updates for a view model (only the event's own outputs, when `within` is given)."""
    out = _updates(vm, ui)
    return out if within is None or not isinstance(out, dict) else {k: v for k, v in out.items() if k in within}


@singledispatch
def _updates(vm: Any, ui: Layout) -> Any:
    raise TypeError(f"no view for {type(vm).__name__}")


@_updates.register
def _end_asked(vm: EndAsked, ui: Layout) -> dict[Any, Any]:
    s = vm.ws.session
    asked = "its follow-up question" if s.awaiting_followup else f"question {s.index + 1}"
    text = (
        f"**You have typed an answer to {asked} that is not sent.** Send it (it is graded, then the interview "
        "ends), keep it as a draft (saved with the interview, not graded), or discard it?"
    )
    return {ui.end_ask: gr.update(visible=True), ui.end_ask_md: text}


@_updates.register
def _notice(vm: NoticeView, ui: Layout) -> dict[Any, Any]:
    out = {} if vm.text is None else {ui.notice: vm.text}
    return out if vm.offer_offline is None else out | {ui.offline_btn: gr.update(visible=vm.offer_offline)}


@_updates.register
def _chat(vm: ChatView, ui: Layout) -> dict[Any, Any]:
    return {ui.state: vm.ws, ui.chat: list(vm.ws.chat), **({ui.answer_box: ""} if vm.clear_answer else {})}


@_updates.register
def _offer(vm: ResumeOffer, ui: Layout) -> tuple[Any, ...]:
    return vm.owner, gr.update(visible=vm.session_id is not None), vm.text, vm.session_id


@_updates.register
def _here(vm: ResumeHere, ui: Layout) -> dict[Any, Any]:
    return {ui.notice: vm.text, ui.resume_here_btn: gr.update(visible=True), ui.resume_id: vm.session_id}


@_updates.register
def _draft(vm: DraftView, ui: Layout) -> dict[Any, Any]:
    shown = vm.path is not None
    file = gr.update(value=vm.path, visible=True) if shown else gr.update(visible=False)
    return {ui.draft_note: vm.note, ui.draft_preview: vm.preview, ui.draft_file: file,
            ui.draft_use_btn: gr.update(visible=shown), ui.drafted_bank: vm.bank}  # fmt: skip


@_updates.register
def _page(vm: PageView, ui: Layout) -> dict[Any, Any]:
    ws = vm.ws
    hidden = gr.update(visible=False)
    out: dict[Any, Any] = {ui.resume_row: hidden, ui.resume_here_btn: hidden} if vm.hide_resume else {}
    out[ui.end_ask] = hidden  # kept only by events that list it (End and its answers, and the page's own)
    if ws is None:
        return out | {
            ui.state: None,
            ui.setup_col: gr.update(visible=True),
            ui.interview_col: gr.update(visible=False),
            ui.answer_area: gr.update(visible=True),
            ui.feedback_col: gr.update(visible=False),
            ui.summary_col: gr.update(visible=False),
            ui.downloads: gr.update(visible=False),
            ui.setup_error: vm.error,
        }
    s = ws.session
    finished = s.finished
    done = questions_done(s.turns)
    last = next((t for t in reversed(s.turns) if t.done), None)
    show_feedback = s.settings.mode == "practice" and last is not None and not finished
    out[ui.state] = ws
    visible = {
        "setup_col": False,
        "interview_col": True,
        "answer_area": not finished,
        "feedback_col": show_feedback,
        "summary_col": finished,
        "downloads": bool(s.turns),  # an interview ended before any answer left nothing to download
        "retry_btn": s.can_retry(),
        "weakest_btn": finished and s.settings.mode == "mock" and bool(s.summary().weakest),
    }
    for part, shown in visible.items():
        if ws.changes(part, visible=shown):
            out[getattr(ui, part)] = gr.update(visible=shown)
    out |= {
        ui.chat: list(ws.chat),
        ui.progress: html.progress_html(done, s.total, "Finished" if finished else s.position()),
        ui.notice: f"⚠️ {html.literal_markdown(ws.notice)}" if ws.notice else "",
        ui.grader_md: f"**Grader:** {html.literal_markdown(ws.grader_label)}",
        ui.setup_error: vm.error,
        ui.feedback: html.feedback_html(s.turns, last) if show_feedback and last else "",
    }
    # A property update makes Gradio rebuild the whole component, and an output left out costs nothing
    # (LeanBlocks): the buttons' properties are sent only when they change.
    cost = s.next_hint_cost()
    if hint := ws.changes("hint_btn", value=_hint_label(cost), interactive=cost is not None):
        out[ui.hint_btn] = gr.update(**hint)
    if ws.changes("offline_btn", visible=False):  # offered only while an answer waits for the LLM
        out[ui.offline_btn] = gr.update(visible=False)
    if vm.answer is not None:
        out[ui.answer_box] = vm.answer
    if finished:
        out |= _summary(ws, ui)
    elif ws.changes("summary", shown=False):  # a summary left on the page by an interview before is cleared once
        out |= {ui.summary_box: "", ui.summary_plot: pd.DataFrame([], columns=CHART_COLUMNS), ui.summary_details: ""}
    return out


def _summary(ws: WebSession, ui: Layout) -> dict[Any, Any]:
    s = ws.session
    ws.changes("summary", shown=True)
    transcript = s.transcript()
    summary = transcript.summary or s.summary()
    rows = html.summary_chart_rows(transcript)
    return {
        ui.summary_box: html.summary_html(summary, transcript),
        # no empty frame when nothing was graded
        ui.summary_plot: gr.update(
            value=pd.DataFrame(rows, columns=CHART_COLUMNS), sort=[r["criterion"] for r in rows], visible=bool(rows)
        ),
        ui.dl_anki: gr.update(visible=bool(anki.notes_for([transcript]))),  # built when clicked
        # Mock mode: every card open (this is the first feedback). Practice: the cards seen already are folded,
        # the last one (not shown before the summary replaced it) is open.
        ui.summary_details: html.summary_details_html(transcript, all_open=s.settings.mode == "mock"),
    }


@_updates.register
def _history(vm: HistoryView, ui: Layout) -> dict[Any, Any]:
    if vm.note is not None:
        return {ui.history_note: vm.note}
    return {
        ui.due_md: vm.due,
        # no empty chart frame before the first scored session
        ui.progress_plot: gr.update(
            value=pd.DataFrame(vm.progress, columns=["started", "score", "series"]), visible=bool(vm.progress)
        ),
        ui.sessions_table: pd.DataFrame(vm.sessions, columns=SESSION_COLUMNS),
        ui.past_pick: gr.update(choices=vm.choices, value=None),
        ui.stats_table: pd.DataFrame(vm.stats, columns=STATS_COLUMNS),
        ui.confirm_row: gr.update(visible=False),
    }


@_updates.register
def _past(vm: PastView, ui: Layout) -> dict[Any, Any]:
    buttons = (ui.past_md, ui.past_json, ui.past_html)
    deck = gr.update(value=vm.deck, visible=True) if vm.deck else gr.update(visible=False)
    if vm.files is None:
        return {**{b: gr.update(visible=False) for b in buttons}, ui.past_view: "", ui.past_anki: deck}
    shown = {b: gr.update(value=f, visible=True) for b, f in zip(buttons, vm.files)}
    return {**shown, ui.past_view: vm.cards, ui.past_anki: deck}


def _hint_label(cost: float | None) -> str:
    """The Hint button says what the next hint costs before it is taken."""
    return "No hints left" if cost is None else f"Hint (−{cost:g} points)"
