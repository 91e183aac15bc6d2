"""The Gradio web app: layout, wiring and thin handlers over the session engine.

Each browser session owns its engine in `gr.State` (freed after a time-to-live); nothing
mutable lives at module level. Handlers are async so many sessions can grade at once.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no phoning home

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from . import bank as bank_mod
from . import review
from . import webview as view
from .config import Settings, load_settings
from .errors import InterviewerError
from .grading.factory import choose_grader
from .session import Session, SessionOver, SessionSettings, Step, plan_questions
from .web_session import (
    FORMATS,
    WebSession,
    forget_browser_session,
    free_files,
    greeting,
    show_step,
    write_transcript_files,
)
from .web_setup import (
    MAX_UPLOAD_BYTES,
    browser_secret,
    bundled_banks,
    grader_for,
    grader_line,
    open_store,
    questions_or_none,
    server_settings,
    take_upload,
)

CSS = """
.iv-progress{margin:.25rem 0 .5rem}.iv-progress-label{font-weight:600;margin-bottom:.25rem}
.iv-progress-track{height:8px;background:var(--neutral-200,#e5e7eb);border-radius:4px;overflow:hidden}
.iv-progress-fill{height:100%;background:var(--color-accent,#f97316);transition:width .3s}
.iv-feedback h3{margin:.2rem 0 .4rem}.iv-score{font-size:1.05rem}.iv-overall{font-size:1.5rem;font-weight:700}
.iv-band{padding:.1rem .45rem;border-radius:.6rem;background:#eef;margin:0 .4rem}
.iv-band-excellent{background:#d1fadf}.iv-band-good{background:#e0f2fe}.iv-band-partial{background:#fef3c7}
.iv-band-weak,.iv-band-no-credit{background:#fee2e2}.iv-grader{color:var(--body-text-color-subdued,#666);font-size:.9rem}
.iv-notice{color:#9a3412;font-weight:600}.iv-flags{color:#9a3412}
table.iv-rubric{width:100%;border-collapse:collapse;margin:.5rem 0}
table.iv-rubric td,table.iv-rubric th{border:1px solid var(--border-color-primary,#ddd);padding:.3rem .5rem;
text-align:left;vertical-align:top}
.iv-kp{list-style:none;padding-left:.2rem}.iv-kp li{margin:.15rem 0}.iv-kp-covered span{color:#15803d}
.iv-kp-partial span{color:#b45309}.iv-kp-missed span{color:#b91c1c}.iv-kp-contradicted span{color:#b91c1c}
.iv-evidence{color:var(--body-text-color-subdued,#555);font-style:italic}
.iv-pre{white-space:pre-wrap;word-break:break-word}
.iv-bars{margin:.4rem 0;max-width:34rem}.iv-bar{display:flex;align-items:center;gap:.5rem;margin:.15rem 0}
.iv-bar-name{width:9rem;font-size:.9rem}.iv-bar-track{flex:1;height:.8rem;background:var(--neutral-200,#e5e7eb);
border-radius:3px;overflow:hidden}.iv-bar-fill{display:block;height:100%;background:var(--color-accent,#f97316)}
.iv-bar-value{width:2.5rem;text-align:right;font-variant-numeric:tabular-nums}
.iv-feedback{border:1px solid var(--border-color-primary,#ddd);border-radius:8px;padding:.6rem .9rem;margin:.8rem 0}
.iv-feedback>details>summary h3{display:inline}
.iv-notice-box{color:#9a3412;font-weight:600}
.iv-table td,.iv-table th,.iv-table span{font-family:var(--font,system-ui,sans-serif)!important}
"""

# Ctrl/Cmd+Enter submits the answer; plain Enter is a new line.
SUBMIT_SHORTCUT_JS = """
() => {
  document.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter' && ev.target.closest && ev.target.closest('#answer-box')) {
      ev.preventDefault();
      const button = document.querySelector('#submit-btn');
      if (button) button.click();
    }
  });
}
"""


# -- the app --------------------------------------------------------------------------------------


def build_app(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or load_settings()
    default_choice = choose_grader(settings)
    banks = bundled_banks(settings)
    store, store_problem = open_store(settings)
    default_bank = next((label for label, p in banks.items() if Path(p).name == "genai_misc.md"), None)

    with gr.Blocks(title="interviewer: mock technical interviews", analytics_enabled=False) as demo:
        state = gr.State(None, time_to_live=settings.session_ttl,
                         delete_callback=lambda ws: forget_browser_session(demo, ws))
        uploaded_bank = gr.State(None, time_to_live=settings.session_ttl)
        # This browser's anonymous id: its history and unfinished sessions are its own.
        browser_id = gr.BrowserState(None, storage_key="interviewer-browser", secret=browser_secret(store))
        gr.Markdown("# Mock technical interview\nAnswer questions in writing and get feedback against a rubric.")
        grader_md = gr.Markdown(grader_line(default_choice), elem_id="grader-label")
        with gr.Row(visible=False, elem_id="resume") as resume_row:
            resume_md = gr.Markdown(elem_id="resume-text")
            resume_btn = gr.Button("Resume it", variant="primary", elem_id="resume-btn", scale=0)
            dismiss_btn = gr.Button("Not now", elem_id="dismiss-btn", scale=0)
        resume_id = gr.State(None)

        with gr.Tab("Interview", elem_id="tab-interview"):

            with gr.Column(visible=True, elem_id="setup") as setup_col:
                with gr.Row():
                    bank_pick = gr.CheckboxGroup(
                        list(banks), value=[default_bank] if default_bank else [], label="Question banks",
                        elem_id="banks",
                    )
                    with gr.Column():
                        upload = gr.File(label="Or upload a bank (.md)", file_types=[".md"], type="filepath",
                                         elem_id="upload")
                        upload_md = gr.Markdown(elem_id="upload-status")
                with gr.Row():
                    count = gr.Slider(1, 30, value=5, step=1, label="Number of questions", elem_id="count")
                    order = gr.Radio(
                        [("in order", "in-order"), ("shuffled", "shuffle"), ("weakest first", "weakest"),
                         ("due for review", "due")],
                        value="in-order", label="Order", elem_id="order",
                    )
                    mode = gr.Radio(
                        [("Practice: feedback after each answer", "practice"), ("Mock: feedback at the end", "mock")],
                        value="practice", label="Mode", elem_id="mode",
                    )
                    followups = gr.Checkbox(value=settings.followups > 0, label="Follow-up questions",
                                            elem_id="followups")
                with gr.Accordion("LLM settings for this browser session (optional)", open=False,
                                  visible=settings.browser_llm_settings):
                    gr.Markdown("Used only in this browser session: never stored, logged or exported. "
                                "Leave empty to use the server's configuration.")
                    with gr.Row():
                        base_url = gr.Textbox("", label="Base URL", placeholder="http://localhost:11434/v1",
                                              elem_id="llm-url")
                        model = gr.Textbox("", label="Model", placeholder="gpt-4o-mini or llama3.1",
                                           elem_id="llm-model")
                        api_key = gr.Textbox("", label="API key", type="password", elem_id="llm-key")
                start_btn = gr.Button("Start interview", variant="primary", elem_id="start-btn")
                setup_error = gr.Markdown(elem_id="setup-error")

            with gr.Column(visible=False, elem_id="interview") as interview_col:
                progress = gr.HTML(elem_id="progress")
                chat = gr.Chatbot(label="Interview", show_label=False, height=430, elem_id="chat",
                                  feedback_options=None, buttons=["copy"], sanitize_html=True)
                notice = gr.Markdown(elem_id="notice", elem_classes=["iv-notice-box"])
                with gr.Column(elem_id="answer-area") as answer_area:
                    answer_box = gr.Textbox(
                        label="Your answer", lines=5, max_lines=20, elem_id="answer-box",
                        placeholder="Type your answer. Enter adds a new line; Ctrl+Enter (or Submit) sends it.",
                    )
                    with gr.Row():
                        submit_btn = gr.Button("Submit answer", variant="primary", elem_id="submit-btn")
                        hint_btn = gr.Button("Hint", elem_id="hint-btn")
                        skip_btn = gr.Button("Skip", elem_id="skip-btn")
                        end_btn = gr.Button("End interview", variant="stop", elem_id="end-btn")
                with gr.Column(visible=False, elem_id="feedback-col") as feedback_col:
                    feedback = gr.HTML(elem_id="feedback")  # its chart is HTML bars: one output less per answer

            with gr.Column(visible=False, elem_id="summary") as summary_col:
                gr.Markdown("## Summary")
                summary_box = gr.HTML(elem_id="summary-box")
                summary_plot = gr.BarPlot(x="criterion", y="score", y_lim=[0, 5], title="Average scores (out of 5)",
                                          height=260, elem_id="summary-plot")
                # The question table and the feedback cards are HTML in the one component: every output of an
                # event costs Gradio a config rebuild when it is skipped, so the answer event keeps few outputs.
                summary_details = gr.HTML(elem_id="summary-details")
                again_btn = gr.Button("New interview", elem_id="again-btn")

            with gr.Row(visible=False, elem_id="downloads") as downloads:
                dl_md = gr.DownloadButton("Download Markdown", elem_id="dl-md")
                dl_json = gr.DownloadButton("Download JSON", elem_id="dl-json")
                dl_html = gr.DownloadButton("Download printable HTML", elem_id="dl-html")

        with gr.Tab("History", elem_id="tab-history") as history_tab:
            history_note = gr.Markdown(store_problem or "", elem_id="history-note")
            due_md = gr.Markdown(elem_id="due")
            progress_plot = gr.LinePlot(x="started", y="score", color="series", y_lim=[0, 5],
                                        title="Scores over time (out of 5)", height=280, elem_id="progress-plot")
            sessions_table = gr.Dataframe(headers=["Session", "Started", "Status", "Answered", "Score", "Banks"],
                                          interactive=False, wrap=True, elem_id="sessions-table",
                                          elem_classes=["iv-table"])
            with gr.Row():
                past_pick = gr.Dropdown(label="Open a past session", choices=[], elem_id="past-pick", scale=2)
                past_md = gr.DownloadButton("Markdown", elem_id="past-md", visible=False)
                past_json = gr.DownloadButton("JSON", elem_id="past-json", visible=False)
                past_html = gr.DownloadButton("HTML", elem_id="past-html", visible=False)
            past_view = gr.HTML(elem_id="past-view")
            stats_table = gr.Dataframe(headers=["Question", "Attempts", "Last", "Best", "Trend"], interactive=False,
                                       wrap=True, label="Per question", elem_id="stats-table",
                                       elem_classes=["iv-table"])
            with gr.Row():
                refresh_btn = gr.Button("Refresh", elem_id="history-refresh", scale=0)
                delete_btn = gr.Button("Delete my history…", variant="stop", elem_id="history-delete", scale=0)
            with gr.Row(visible=False, elem_id="delete-confirm") as confirm_row:
                gr.Markdown("Delete every saved session of this browser? This cannot be undone.")
                confirm_btn = gr.Button("Yes, delete", variant="stop", elem_id="delete-yes", scale=0)
                cancel_btn = gr.Button("Cancel", elem_id="delete-no", scale=0)

        # For automation (gradio_client): the transcript in a chosen format.
        transcript_format = gr.Radio(list(FORMATS), value="json", visible=False)
        transcript_file = gr.File(visible=False)
        transcript_btn = gr.Button(visible=False)

        # What an event in the interview can change; starting one changes the setup parts too.
        interview_outputs = [state, answer_area, feedback_col, summary_col, chat, answer_box, progress, notice,
                             feedback, summary_box, summary_plot, summary_details, dl_md, dl_json, dl_html]
        view_outputs = [*interview_outputs, setup_col, interview_col, downloads, grader_md, setup_error]

        def render(
            ws: WebSession | None, *, clear_answer: bool = False, error: str = "", within: list | None = None
        ) -> dict[Any, Any]:
            out = _render(ws, clear_answer=clear_answer, error=error)
            if within is None:
                return out
            return {k: v for k, v in out.items() if k in within}  # only the event's own outputs

        def _render(ws: WebSession | None, *, clear_answer: bool = False, error: str = "") -> dict[Any, Any]:
            """Every visible part of the page for the session's current state (gr.update dicts: cheaper for
            Gradio than component instances, whose whole config it would rebuild on every event)."""
            if ws is None:
                return {state: None, setup_col: gr.update(visible=True), interview_col: gr.update(visible=False),
                        answer_area: gr.update(visible=True),
                        feedback_col: gr.update(visible=False), summary_col: gr.update(visible=False),
                        downloads: gr.update(visible=False), setup_error: error}
            s = ws.session
            finished = s.finished
            done = sum(1 for t in s.turns if t.skipped or t.grade is not None)
            label = "Finished" if finished else f"Question {s.index + 1} of {s.total}"
            last = next((t for t in reversed(s.turns) if t.grade is not None or t.skipped), None)
            show_feedback = s.settings.mode == "practice" and last is not None and not finished
            out: dict[Any, Any] = {state: ws}
            visible = {setup_col: False, interview_col: True, answer_area: not finished, feedback_col: show_feedback,
                       summary_col: finished, downloads: True}
            for component, shown in visible.items():
                if ws.changes(component, visible=shown):
                    out[component] = gr.update(visible=shown)
            out[chat] = list(ws.chat)
            texts = {
                progress: view.progress_html(done, s.total, label),
                notice: f"⚠️ {view.literal_markdown(ws.notice)}" if ws.notice else "",
                grader_md: f"**Grader:** {view.literal_markdown(ws.grader_label)}",
                setup_error: error,
            }
            # Every value is sent even when unchanged: Gradio handles a skipped output as a property update and
            # rebuilds that component's whole config, which costs more than postprocessing a plain value.
            out |= texts
            empty_plot = pd.DataFrame([], columns=["criterion", "score"])
            out |= {feedback: "", summary_box: "", summary_plot: empty_plot, summary_details: ""}
            if clear_answer:
                out[answer_box] = ""
            if show_feedback and last is not None:
                out[feedback] = view.feedback_html(last, s.turns.index(last) + 1)
            if finished:
                transcript = s.transcript()
                summary = transcript.summary or s.summary()
                out[summary_box] = view.summary_html(summary, transcript)
                rows = view.summary_chart_rows(summary)
                out[summary_plot] = gr.update(value=pd.DataFrame(rows, columns=["criterion", "score"]),
                                               sort=[r["criterion"] for r in rows])
                # Mock mode: every card open (this is the first feedback). Practice: the cards seen already
                # are folded, the last one (not shown before the summary replaced it) is open.
                n = len(transcript.turns)
                mock = s.settings.mode == "mock"
                cards = "".join(
                    view.feedback_html(t, i, collapsed=True, open_=mock or i == n)
                    for i, t in enumerate(transcript.turns, start=1)
                )
                out[summary_details] = (view.question_table_html(transcript) + "<h3>Feedback on every answer</h3>"
                                        + f'<div id="all-feedback">{cards}</div>')
            if s.turns:
                out[dl_md], out[dl_json], out[dl_html] = ws.write_transcript("markdown", "json", "html")
            return out

        async def start(picked=None, n=5, order_value=None, mode_value=None, follow=True, url=None, model_name=None,
                        key=None, extra=None, owner=None, ws=None, request: gr.Request = None):
            try:
                choice = grader_for(settings, default_choice, url, model_name, key)
                paths = [banks[label] for label in (picked or []) if label in banks]
                questions = [q for b in bank_mod.load_banks(paths) for q in b.questions]
                if isinstance(extra, str):
                    return render(None, error=f"**The uploaded bank has an error:** {extra} Fix it or remove it.")
                if extra is not None:
                    questions += extra.questions
                if not questions:
                    return render(None, error="Choose at least one question bank (or upload one).")
            except (InterviewerError, OSError) as exc:
                return render(None, error=f"**Cannot start:** {view.literal_markdown(str(exc))}")
            session_settings = SessionSettings(
                count=int(n or 5), order=order_value or "in-order", mode=mode_value or "practice",
                followups=settings.followups if follow and settings.followups else (1 if follow else 0),
                banks=[Path(p).name for p in paths] + ([extra.path] if isinstance(extra, bank_mod.Bank) else []),
            )
            free_files(ws)
            states = store.review_states(owner) if store else {}
            rank = review.ranker(states, session_settings.order, datetime.now(UTC))
            session = Session(plan_questions(questions, session_settings, rank), session_settings,
                              grader=choice.grader, followup_writer=choice.followups,
                              on_event=store.hook(owner) if store else None)
            new = WebSession(session, choice.label, notice=choice.notice or "",
                             browser_session=request.session_hash if request else None)
            new.say(greeting(session))
            new.say(view.e(session.question_message()))
            return render(new, clear_answer=True)

        not_started = {notice: "Start an interview first (or start a new one: this one has ended)."}
        still_grading = {notice: "Still grading your last answer: wait a moment (what you typed is kept)."}

        async def answer(text=None, ws: WebSession | None = None):
            if ws is None or ws.session.finished:
                yield not_started
                return
            if ws.busy.locked():  # one action at a time per session; the box keeps what was typed
                yield still_grading
                return
            text = text or ""
            if not text.strip():
                yield {notice: "Type an answer first, or press Skip to move on."}
                return
            async with ws.busy:
                ws.heard(text)
                ws.notice = ""
                ws.say("…")
                yield {state: ws, chat: list(ws.chat), answer_box: ""}  # echo at once: only what changed
                written = ""
                step = Step()
                try:
                    async for item in ws.session.answer_stream(text):
                        if isinstance(item, str):
                            written += item
                            ws.chat[-1] = {"role": "assistant", "content": view.e(written)}
                            yield {chat: list(ws.chat)}
                        else:
                            step = item
                except SessionOver:
                    ws.chat.pop()
                    yield render(ws, within=interview_outputs)
                    return
                ws.chat.pop()  # the placeholder; the step's messages replace it
                show_step(ws, step)
                yield render(ws, within=interview_outputs)

        async def hint(draft, ws: WebSession | None):
            if ws is None or ws.session.finished:
                return not_started
            if ws.busy.locked():
                return still_grading
            ws.say(view.e(ws.session.hint(draft or "")))
            return render(ws, within=interview_outputs)

        async def skip(ws: WebSession | None):
            if ws is None or ws.session.finished:
                return not_started
            if ws.busy.locked():
                return still_grading
            async with ws.busy:
                ws.chat.append({"role": "user", "content": "*(skipped)*"})
                show_step(ws, ws.session.skip())
            return render(ws, clear_answer=True, within=interview_outputs)

        async def end(ws: WebSession | None):
            if ws is None:
                return not_started
            if ws.busy.locked():
                return still_grading
            async with ws.busy:
                if not ws.session.finished:
                    await ws.session.finish()
                    ws.say("The interview is over. Your summary is below.")
            return render(ws, within=interview_outputs)

        def new_interview(ws: WebSession | None):
            free_files(ws)
            return render(None)

        def transcript(fmt, ws: WebSession | None):
            if ws is None:
                raise gr.Error("No interview in this session yet: call /start first.")
            return ws.write_transcript(fmt if fmt in FORMATS else "json")[0]

        def on_load(owner, ws):
            """Give this browser an id, and offer to resume its latest unfinished interview."""
            owner = owner or os.urandom(12).hex()
            offer = None
            if store is not None and ws is None:
                offer = next(iter(store.unfinished(owner)), None)
            if offer is None:
                return owner, gr.update(visible=False), "", None
            text = (f"You have an unfinished interview from {offer.started_at:%Y-%m-%d %H:%M} UTC "
                    f"({offer.answered} of {offer.total} questions answered).")
            return owner, gr.update(visible=True), text, offer.id

        async def resume(session_id, owner, ws, request: gr.Request = None):
            if store is None or not session_id:
                return {**render(ws), resume_row: gr.update(visible=False)}
            free_files(ws)
            session = store.restore(session_id, default_choice.grader, default_choice.followups, owner)
            new = WebSession(session, default_choice.label, browser_session=request.session_hash if request else None)
            new.say("Welcome back! Here is where you left off.")
            for i, turn in enumerate(session.turns, start=1):
                new.say(view.e(f"Question {i} of {session.total}: {turn.question}"))
                if turn.skipped:
                    new.chat.append({"role": "user", "content": "*(skipped)*"})
                if turn.answer is not None:
                    new.heard(turn.answer)
                for f in turn.followups:
                    new.say(view.e(f.question))
                    if f.answer is not None:
                        new.heard(f.answer)
            step = await session.settle()
            if step is not None:
                show_step(new, step)
            return {**render(new, clear_answer=True), resume_row: gr.update(visible=False)}

        def dismiss():
            return gr.update(visible=False)

        def history(owner):
            if store is None:
                return {history_note: store_problem}
            if not owner:  # the browser's id is not known yet: show nothing rather than everyone's sessions
                return {history_note: "Loading your history…"}
            now = datetime.now(UTC)
            all_questions = [q for path in banks.values() for q in questions_or_none(path)]
            due = review.count_due(all_questions, store.review_states(owner), now)
            rows = store.sessions(owner)
            points = store.progress(owner)
            trend = "" if len(points) > 1 else " The chart draws its lines from your second scored session on."
            return {
                due_md: f"**{due}** of {len(all_questions)} questions in the bundled banks are due for review "
                        f"(choose the order *due for review* to practise them).{trend}",
                progress_plot: pd.DataFrame(view.progress_rows(points), columns=["started", "score", "series"]),
                sessions_table: pd.DataFrame(view.sessions_rows(rows),
                                             columns=["Session", "Started", "Status", "Answered", "Score", "Banks"]),
                past_pick: gr.update(choices=[(f"{r.started_at:%Y-%m-%d %H:%M} · {r.id[:8]}", r.id) for r in rows],
                                       value=None),
                stats_table: pd.DataFrame(view.question_stats_rows(store.question_stats(owner)),
                                          columns=["Question", "Attempts", "Last", "Best", "Trend"]),
                confirm_row: gr.update(visible=False),
            }

        def open_past(session_id, owner):
            hidden = {past_md: gr.update(visible=False), past_json: gr.update(visible=False),
                      past_html: gr.update(visible=False), past_view: ""}
            if store is None or not session_id or not owner:
                return hidden
            if session_id not in {r.id for r in store.sessions(owner)}:
                return hidden  # only this browser's own sessions can be opened
            tr = store.transcript(session_id)
            # One folder per past session, rewritten on each opening: nothing piles up.
            folder = Path(tempfile.gettempdir()) / "interviewer-past" / session_id
            md, js, page = write_transcript_files(tr, folder, ("markdown", "json", "html"))
            cards = "".join(view.feedback_html(t, i) for i, t in enumerate(tr.turns, start=1))
            return {past_md: gr.update(value=md, visible=True), past_json: gr.update(value=js, visible=True),
                    past_html: gr.update(value=page, visible=True), past_view: cards}

        def delete_history(owner):
            if store is not None and owner:
                store.delete_all(owner)
            return history(owner)

        start_inputs = [bank_pick, count, order, mode, followups, base_url, model, api_key, uploaded_bank, browser_id,
                        state]
        limit = settings.concurrency
        start_btn.click(start, start_inputs, view_outputs, api_name="start", concurrency_limit=limit)
        submit_btn.click(answer, [answer_box, state], interview_outputs, api_name="answer", concurrency_limit=limit)
        hint_btn.click(hint, [answer_box, state], interview_outputs, api_visibility="private")
        skip_btn.click(skip, [state], interview_outputs, api_visibility="private")
        end_btn.click(end, [state], interview_outputs, api_visibility="private")
        again_btn.click(new_interview, [state], view_outputs, api_visibility="private")
        transcript_btn.click(transcript, [transcript_format, state], [transcript_file], api_name="transcript")
        upload.change(take_upload, [upload], [upload_md, uploaded_bank], api_visibility="private")
        demo.load(None, None, None, js=SUBMIT_SHORTCUT_JS)
        demo.load(on_load, [browser_id, state], [browser_id, resume_row, resume_md, resume_id],
                  api_visibility="private")
        resume_btn.click(resume, [resume_id, browser_id, state], view_outputs + [resume_row], api_visibility="private")
        dismiss_btn.click(dismiss, None, [resume_row], api_visibility="private")
        history_outputs = [history_note, due_md, progress_plot, sessions_table, past_pick, stats_table, confirm_row]
        history_tab.select(history, [browser_id], history_outputs, api_visibility="private")
        refresh_btn.click(history, [browser_id], history_outputs, api_visibility="private")
        past_pick.change(open_past, [past_pick, browser_id], [past_md, past_json, past_html, past_view],
                         api_visibility="private")
        delete_btn.click(lambda: gr.update(visible=True), None, [confirm_row], api_visibility="private")
        cancel_btn.click(lambda: gr.update(visible=False), None, [confirm_row], api_visibility="private")
        confirm_btn.click(delete_history, [browser_id], history_outputs, api_visibility="private")

    demo.queue(default_concurrency_limit=settings.concurrency)
    return demo


def launch(demo: gr.Blocks | None = None, **overrides: Any) -> gr.Blocks:
    """Start the app (blocking unless prevent_thread_lock=True is passed)."""
    demo = demo or build_app()
    options = {**server_settings(), **overrides}
    demo.launch(css=CSS, max_file_size=MAX_UPLOAD_BYTES, show_error=True, **options)
    return demo
