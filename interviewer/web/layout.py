"""The web app's components, built once inside a `gr.Blocks` and returned as one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ..config import Settings
from .setup import Filters
from .state import FORMATS


@dataclass(frozen=True)
class Layout:
    # per browser session
    state: gr.State
    uploaded_bank: gr.State
    browser_id: gr.BrowserState
    dismissed: gr.BrowserState
    resume_id: gr.State
    # header and resume offer
    grader_md: gr.Markdown
    resume_row: gr.Row
    resume_md: gr.Markdown
    resume_btn: gr.Button
    dismiss_btn: gr.Button
    # setup
    setup_col: gr.Column
    banks: gr.CheckboxGroup
    upload: gr.File
    upload_md: gr.Markdown
    count: gr.Slider
    order: gr.Radio
    levels: gr.CheckboxGroup
    topics: gr.Dropdown
    mode: gr.Radio
    followups: gr.Checkbox
    base_url: gr.Textbox
    model: gr.Textbox
    api_key: gr.Textbox
    start_btn: gr.Button
    setup_error: gr.Markdown
    # interview
    interview_col: gr.Column
    progress: gr.HTML
    chat: gr.Chatbot
    notice: gr.Markdown
    offline_btn: gr.Button
    retry_btn: gr.Button
    weakest_btn: gr.Button
    dl_anki: gr.Button
    past_anki: gr.DownloadButton
    resume_here_btn: gr.Button
    answer_area: gr.Column
    answer_box: gr.Textbox
    submit_btn: gr.Button
    hint_btn: gr.Button
    skip_btn: gr.Button
    end_btn: gr.Button
    end_ask: gr.Column
    end_ask_md: gr.Markdown
    end_send_btn: gr.Button
    end_keep_btn: gr.Button
    end_discard_btn: gr.Button
    end_back_btn: gr.Button
    feedback_col: gr.Column
    feedback: gr.HTML
    # summary and downloads
    summary_col: gr.Column
    summary_box: gr.HTML
    summary_plot: gr.BarPlot
    summary_details: gr.HTML
    again_btn: gr.Button
    downloads: gr.Row
    dl_md: gr.Button
    dl_json: gr.Button
    dl_html: gr.Button
    dl_file: gr.DownloadButton
    # history
    history_tab: gr.Tab
    history_note: gr.Markdown
    due_md: gr.Markdown
    progress_plot: gr.LinePlot
    sessions_table: gr.Dataframe
    past_pick: gr.Dropdown
    past_md: gr.DownloadButton
    past_json: gr.DownloadButton
    past_html: gr.DownloadButton
    past_view: gr.HTML
    regrade_with: gr.Dropdown
    regrade_btn: gr.Button
    regrade_view: gr.HTML
    # drafting a bank
    draft_note: gr.Markdown
    draft_topic: gr.Textbox
    draft_jd: gr.Textbox
    draft_count: gr.Slider
    draft_level: gr.Radio
    draft_experience: gr.Slider
    draft_btn: gr.Button
    draft_preview: gr.HTML
    draft_file: gr.DownloadButton
    draft_use_btn: gr.Button
    drafted_bank: gr.State
    stats_table: gr.Dataframe
    refresh_btn: gr.Button
    delete_btn: gr.Button
    confirm_row: gr.Row
    confirm_btn: gr.Button
    cancel_btn: gr.Button
    # automation (gradio_client): the transcript in a chosen format
    transcript_format: gr.Radio
    transcript_file: gr.File
    transcript_btn: gr.Button

    def interview_outputs(self) -> list[Any]:
        """What an event in the interview can change."""
        return [self.state, self.answer_area, self.feedback_col, self.summary_col, self.chat, self.answer_box,
                self.progress, self.notice, self.feedback, self.summary_box, self.summary_plot, self.summary_details,
                self.offline_btn, self.hint_btn, self.retry_btn, self.weakest_btn, self.dl_anki, self.resume_here_btn,
                self.resume_id]  # fmt: skip

    def page_outputs(self) -> list[Any]:
        """What starting, leaving or resuming an interview changes: the setup parts too."""
        return [*self.interview_outputs(), self.setup_col, self.interview_col, self.downloads, self.grader_md,
                self.setup_error, self.end_ask]  # fmt: skip

    def ending_outputs(self) -> list[Any]:
        """What End changes: the interview, and the question about an answer typed and not sent."""
        return [*self.interview_outputs(), self.end_ask, self.end_ask_md, self.downloads]  # nothing saved: none

    def setup_inputs(self) -> list[Any]:
        """The setup form, in the order of /start's parameters, then the browser session's own state."""
        return [self.banks, self.count, self.order, self.mode, self.followups, self.base_url, self.model,
                self.api_key, self.levels, self.topics, self.uploaded_bank, self.browser_id, self.state]  # fmt: skip

    def history_outputs(self) -> list[Any]:
        return [self.history_note, self.due_md, self.progress_plot, self.sessions_table, self.past_pick,
                self.stats_table, self.confirm_row]  # fmt: skip


@dataclass(frozen=True)
class PageStart:
    """What the page shows before any event: the banks offered, the grader, and what is off and why."""

    bank_labels: list[str]
    default_bank: str | None
    grader_line: str
    history_note: str = ""
    """Why the history is off (empty: it is on)."""
    regrade_choices: list[tuple[str, str]] = field(
        default_factory=lambda: [("Offline grader (key-point coverage)", "offline")]
    )
    drafting_off: str = ""
    """Why drafting is off (empty: it is on)."""
    filters: Filters = field(default_factory=lambda: Filters([], [], [], []))
    """The levels and topics of the banks ticked at first, each `("senior (14)", "senior")`."""
    filters_shown: bool = False
    """Whether any offered bank gives levels or topics (then the Levels and Topics row is shown)."""


def build_layout(settings: Settings, shown: PageStart, browser_secret: str | None, on_expire: Any) -> Layout:
    """Every component of the page, in page order (call inside `with gr.Blocks()`)."""
    c: dict[str, Any] = {}
    c["state"] = gr.State(None, time_to_live=settings.session_ttl, delete_callback=on_expire)
    c["uploaded_bank"] = gr.State(None, time_to_live=settings.session_ttl)
    # This browser's anonymous id: its history and unfinished sessions are its own.
    c["browser_id"] = gr.BrowserState(None, storage_key="interviewer-browser", secret=browser_secret)
    # The sessions this browser put off with "Not now": not offered again.
    c["dismissed"] = gr.BrowserState([], storage_key="interviewer-dismissed")
    gr.Markdown(
        "# Mock technical interview\nAnswer questions in writing and get feedback against a rubric. "
        "**No time limit:** take as long as you need; an unfinished interview can be resumed later.",
        elem_id="intro",
    )
    c["grader_md"] = gr.Markdown(shown.grader_line, elem_id="grader-label")
    with gr.Row(visible=False, elem_id="resume") as c["resume_row"]:
        c["resume_md"] = gr.Markdown(elem_id="resume-text")
        c["resume_btn"] = gr.Button("Resume it", variant="primary", elem_id="resume-btn", scale=0)
        c["dismiss_btn"] = gr.Button("Not now", elem_id="dismiss-btn", scale=0)
    c["resume_id"] = gr.State(None)
    with gr.Tab("Interview", elem_id="tab-interview"):
        _setup(c, settings, shown)
        _interview(c)
        _summary(c)
    with gr.Tab("History", elem_id="tab-history") as c["history_tab"]:
        _history(c, shown.history_note, shown.regrade_choices)
    c["transcript_format"] = gr.Radio(list(FORMATS), value="json", visible=False)
    c["transcript_file"] = gr.File(visible=False)
    c["transcript_btn"] = gr.Button(visible=False)
    return Layout(**c)


def _draft_section(c: dict[str, Any], drafting_off: str) -> None:
    """Draft a bank (questions with reference answers) from a topic or a job description, preview it, then
    download it or practise with it. Shown disabled, saying what to set, when no LLM is configured."""
    on = not drafting_off
    with gr.Accordion("Draft a bank with the LLM", open=False, elem_id="draft-section"):
        c["draft_note"] = gr.Markdown(drafting_off or "Questions with reference answers, drafted for you to review.",
                                      elem_id="draft-note")  # fmt: skip
        with gr.Row():
            c["draft_topic"] = gr.Textbox(label="Topic", placeholder="Kubernetes networking", elem_id="draft-topic",
                                          interactive=on)  # fmt: skip
            c["draft_jd"] = gr.Textbox(label="Or paste a job description", lines=4, elem_id="draft-jd", interactive=on)
        with gr.Row():
            c["draft_count"] = gr.Slider(1, 20, value=6, step=1, label="Questions", elem_id="draft-count",
                                         interactive=on)  # fmt: skip
            c["draft_level"] = gr.Radio(["junior", "mid", "senior"], value="mid", label="Level", elem_id="draft-level",
                                        interactive=on)  # fmt: skip
            c["draft_experience"] = gr.Slider(0, 20, value=1, step=1, label="Of which experience questions",
                                              elem_id="draft-experience", interactive=on)  # fmt: skip
        c["draft_btn"] = gr.Button("Draft", elem_id="draft-btn", interactive=on)
        c["draft_preview"] = gr.HTML(elem_id="draft-preview")
        with gr.Row():
            c["draft_file"] = gr.DownloadButton("Download .md", visible=False, elem_id="draft-download")
            c["draft_use_btn"] = gr.Button("Practise with this draft now", visible=False, elem_id="draft-use",
                                           variant="primary")  # fmt: skip
    c["drafted_bank"] = gr.State(None)


def _setup(c: dict[str, Any], settings: Settings, shown: PageStart) -> None:
    bank_labels, default_bank, drafting_off = shown.bank_labels, shown.default_bank, shown.drafting_off
    with gr.Column(visible=True, elem_id="setup") as c["setup_col"]:
        with gr.Row():
            c["banks"] = gr.CheckboxGroup(
                bank_labels, value=[default_bank] if default_bank else [], label="Question banks", elem_id="banks"
            )
            with gr.Column():
                c["upload"] = gr.File(  # a low drop zone: on a phone, Start stays within reach
                    label="Or upload a bank (.md)", file_types=[".md"], type="filepath", elem_id="upload", height=140
                )
                c["upload_md"] = gr.Markdown(elem_id="upload-status")
        with gr.Row():
            c["count"] = gr.Slider(1, 30, value=5, step=1, label="Number of questions", elem_id="count")
            c["order"] = gr.Radio(
                [
                    ("in order", "in-order"),
                    ("shuffled", "shuffle"),
                    ("weakest first", "weakest"),
                    ("due for review", "due"),
                ],
                value="in-order",
                label="Order",
                elem_id="order",
            )
            c["mode"] = gr.Radio(
                [("Practice: feedback after each answer", "practice"), ("Mock: feedback at the end", "mock")],
                value="practice",
                label="Mode",
                elem_id="mode",
            )
            c["followups"] = gr.Checkbox(value=settings.followups > 0, label="Follow-up questions", elem_id="followups")
        # Shown when the offered banks say the levels and topics of their questions (none ticked: all of them);
        # the choices follow the banks ticked.
        with gr.Row(visible=shown.filters_shown):
            f = shown.filters
            c["levels"] = gr.CheckboxGroup(f.levels, label="Levels (none ticked: all)", elem_id="levels",
                                           info=f.levels_info)  # fmt: skip
            c["topics"] = gr.Dropdown(f.topics, multiselect=True, label="Topics (none chosen: all)",
                                      elem_id="topics", info=f.topics_info)  # fmt: skip
        with gr.Accordion(
            "LLM settings for this browser session (optional)", open=False, visible=settings.exposure.browser_llm
        ):
            gr.Markdown(
                "Used only in this browser session: never stored, logged or exported. "
                "Leave empty to use the server's configuration."
            )
            with gr.Row():
                c["base_url"] = gr.Textbox(
                    "", label="Base URL", placeholder="http://localhost:11434/v1", elem_id="llm-url"
                )
                c["model"] = gr.Textbox("", label="Model", placeholder="gpt-4o-mini or llama3.1", elem_id="llm-model")
                c["api_key"] = gr.Textbox("", label="API key", type="password", elem_id="llm-key")
        _draft_section(c, drafting_off)
        c["start_btn"] = gr.Button("Start interview", variant="primary", elem_id="start-btn")
        c["setup_error"] = gr.Markdown(elem_id="setup-error")


def _interview(c: dict[str, Any]) -> None:
    with gr.Column(visible=False, elem_id="interview") as c["interview_col"]:
        c["progress"] = gr.HTML(elem_id="progress")
        c["chat"] = gr.Chatbot(
            label="Interview",
            show_label=False,
            height=430,
            elem_id="chat",
            feedback_options=None,
            buttons=["copy"],
            sanitize_html=True,
        )
        c["notice"] = gr.Markdown(elem_id="notice", elem_classes=["iv-notice-box"])
        with gr.Row():
            c["offline_btn"] = gr.Button("Grade offline now", visible=False, elem_id="offline-btn", size="sm")
            c["resume_here_btn"] = gr.Button(
                "Resume it", visible=False, variant="primary", elem_id="resume-here-btn", size="sm"
            )
        # The feedback on the answer just given comes before the box for the next one: read in the order it
        # happened (feedback on question 1, then question 2's answer), not below the next question's box.
        with gr.Column(visible=False, elem_id="feedback-col") as c["feedback_col"]:
            gr.Markdown("## Feedback")  # the card's question is an h3: headings go down one level at a time
            c["feedback"] = gr.HTML(elem_id="feedback")  # its chart is HTML bars: one output less per answer
        # Practice mode, after an answer's feedback (the last one's too): answer that question again.
        c["retry_btn"] = gr.Button("Try again", visible=False, elem_id="retry-btn")
        with gr.Column(elem_id="answer-area") as c["answer_area"]:
            c["answer_box"] = gr.Textbox(
                label="Your answer",
                lines=5,
                max_lines=20,
                elem_id="answer-box",
                placeholder="Type your answer. Enter adds a new line; Ctrl+Enter (or Submit) sends it.",
            )
            with gr.Row():
                c["submit_btn"] = gr.Button("Submit answer", variant="primary", elem_id="submit-btn")
                c["hint_btn"] = gr.Button("Hint (−5 points)", elem_id="hint-btn")  # its label says what it costs
                c["skip_btn"] = gr.Button("Skip", elem_id="skip-btn")
                c["end_btn"] = gr.Button("End interview", variant="stop", elem_id="end-btn")
            # End with an answer typed and not sent: nothing typed is dropped without asking.
            with gr.Column(visible=False, elem_id="end-ask", elem_classes=["iv-end-ask"]) as c["end_ask"]:
                c["end_ask_md"] = gr.Markdown(elem_id="end-ask-text")
                with gr.Row():
                    c["end_send_btn"] = gr.Button("Send it, then end", variant="primary", elem_id="end-send")
                    c["end_keep_btn"] = gr.Button("Keep it as a draft and end", elem_id="end-keep")
                    c["end_discard_btn"] = gr.Button("Discard it and end", variant="stop", elem_id="end-discard")
                    c["end_back_btn"] = gr.Button("Back to my answer", elem_id="end-back")


def _summary(c: dict[str, Any]) -> None:
    with gr.Column(visible=False, elem_id="summary") as c["summary_col"]:
        gr.Markdown("## Summary")
        c["summary_box"] = gr.HTML(elem_id="summary-box")
        c["summary_plot"] = gr.BarPlot(
            x="criterion",
            y="score",
            y_lim=[0, 5],
            color="rubric",
            title="Average scores (out of 5)",
            height=260,
            elem_id="summary-plot",
        )
        # The question table and the feedback cards are HTML in the one component: every output of an
        # event costs Gradio a config rebuild when it is skipped, so the answer event keeps few outputs.
        c["summary_details"] = gr.HTML(elem_id="summary-details")
        with gr.Row():
            c["again_btn"] = gr.Button("New interview", elem_id="again-btn")
            # Mock mode has no retries until the end: then a practice session on the weakest questions.
            c["weakest_btn"] = gr.Button("Practise my weakest", visible=False, elem_id="weakest-btn")
            c["dl_anki"] = gr.Button("Download Anki deck", visible=False, elem_id="dl-anki")
    # Each download is written when its button is clicked, then handed to the browser by the one hidden
    # download button (not written after every answer in case it is wanted).
    with gr.Row(visible=False, elem_id="downloads") as c["downloads"]:
        c["dl_md"] = gr.Button("Download Markdown", elem_id="dl-md")
        c["dl_json"] = gr.Button("Download JSON", elem_id="dl-json")
        c["dl_html"] = gr.Button("Download printable HTML", elem_id="dl-html")
    c["dl_file"] = gr.DownloadButton(visible="hidden", elem_id="dl-file")


def _history(c: dict[str, Any], history_note: str, regrade_choices: list[tuple[str, str]]) -> None:
    c["history_note"] = gr.Markdown(history_note, elem_id="history-note")
    c["due_md"] = gr.Markdown(elem_id="due")
    c["progress_plot"] = gr.LinePlot(
        x="started",
        y="score",
        color="series",
        y_lim=[0, 5],
        title="Scores over time (out of 5)",
        height=280,
        elem_id="progress-plot",
    )
    c["sessions_table"] = gr.Dataframe(
        headers=["Session", "Started", "Status", "Answered", "Score", "Scored as", "Banks"],
        interactive=False,
        wrap=True,
        elem_id="sessions-table",
        elem_classes=["iv-table"],
    )
    with gr.Row():
        c["past_pick"] = gr.Dropdown(label="Open a past session", choices=[], elem_id="past-pick", scale=2)
        c["past_md"] = gr.DownloadButton("Markdown", elem_id="past-md", visible=False)
        c["past_json"] = gr.DownloadButton("JSON", elem_id="past-json", visible=False)
        c["past_html"] = gr.DownloadButton("HTML", elem_id="past-html", visible=False)
        c["past_anki"] = gr.DownloadButton("Anki deck", elem_id="past-anki", visible=False)
    with gr.Row():
        c["regrade_with"] = gr.Dropdown(label="Re-grade the open session with", choices=regrade_choices,
                                        value=regrade_choices[0][1], elem_id="regrade-with", scale=2)  # fmt: skip
        c["regrade_btn"] = gr.Button("Re-grade with…", elem_id="regrade-btn", scale=0)
    c["regrade_view"] = gr.HTML(elem_id="regrade-view")
    c["past_view"] = gr.HTML(elem_id="past-view")
    c["stats_table"] = gr.Dataframe(
        headers=["Question", "Attempts", "Last", "Best", "Trend"],
        interactive=False,
        wrap=True,
        label="Per question",
        elem_id="stats-table",
        elem_classes=["iv-table"],
    )
    with gr.Row():
        c["refresh_btn"] = gr.Button("Refresh", elem_id="history-refresh", scale=0)
        c["delete_btn"] = gr.Button("Delete my history…", variant="stop", elem_id="history-delete", scale=0)
    with gr.Row(visible=False, elem_id="delete-confirm") as c["confirm_row"]:
        gr.Markdown("Delete every saved session of this browser? This cannot be undone.")
        c["confirm_btn"] = gr.Button("Yes, delete", variant="stop", elem_id="delete-yes", scale=0)
        c["cancel_btn"] = gr.Button("Cancel", elem_id="delete-no", scale=0)


def draft_inputs(ui: Layout) -> list[Any]:
    return [ui.draft_topic, ui.draft_jd, ui.draft_count, ui.draft_level, ui.draft_experience]


def draft_outputs(ui: Layout) -> list[Any]:
    return [ui.draft_note, ui.draft_preview, ui.draft_file, ui.draft_use_btn, ui.drafted_bank]
