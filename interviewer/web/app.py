"""The Gradio web app: wires the layout's components to the handlers' methods through the view.

Each browser session owns its interview in `gr.State` (freed after a time-to-live); nothing mutable lives at
module level. Handlers are async so many sessions can grade at once.
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no phoning home

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.blocks import Block
from starlette.middleware import Middleware

from ..config import Settings, configure_logging, load_settings
from ..errors import InterviewerError
from ..grading.offline import OfflineGrader
from ..grading.semantic import shared_layer
from ..owner import Owner
from ..recorder import Writer
from ..service import App
from ..users import Users, user_owner
from .browser_ids import BrowserIds
from .draft_events import DRAFT_READY, DraftForm, PageLLM, draft_bank, drafting_off
from .handlers import Handlers, StartForm
from .history_events import HistoryTab
from .internals import LeanBlocks, forget_browser_session, quiet_monitoring
from .layout import Layout, PageStart, build_layout, draft_inputs, draft_outputs
from .login_limit import LoginLimiter, trust_proxies
from .render import render
from .setup import (
    MAX_UPLOAD_BYTES,
    bank_problems,
    browser_secret,
    bundled_banks,
    filters_for,
    grader_line,
    open_store,
    questions_or_none,
    server_settings,
    take_upload,
)
from .state import WebSession, free_files
from .theme import interviewer_theme
from .views import NoticeView

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
.iv-kp{list-style:none;padding-left:.2rem}.iv-kp li{margin:.15rem 0}.iv-kp-covered>span:first-child{color:#15803d}
.iv-kp-partial>span:first-child{color:#b45309}.iv-kp-missed>span:first-child{color:#b91c1c}.iv-kp-contradicted>span:first-child{color:#b91c1c}
.iv-penalty{color:#9a3412}.iv-kp-recovered>span:first-child{color:#15803d}.iv-kp-hinted>span:first-child{color:#6b21a8}
.iv-evidence{color:var(--body-text-color-subdued,#555);font-style:italic}
.iv-pre{white-space:pre-wrap;word-break:break-word}
.iv-ref{margin:.1rem 0 .3rem 1.4rem;font-size:.9em}.iv-ref .iv-where{font-weight:600}
.iv-kp .iv-where{font-size:.9em;font-weight:400;font-style:normal}
.iv-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.iv-side-grid{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}.iv-side-grid h4{margin:.3rem 0}
table.iv-rubric td{overflow-wrap:anywhere}
@media (max-width:640px){.iv-side-grid{grid-template-columns:1fr}
table.iv-rubric thead{display:none}
table.iv-rubric,table.iv-rubric tbody,table.iv-rubric tr,table.iv-rubric td{display:block;width:auto}
table.iv-rubric tr{border:1px solid var(--border-color-primary,#ddd);border-radius:6px;margin:.4rem 0;padding:.2rem 0}
table.iv-rubric td{border:none;padding:.15rem .5rem}
table.iv-rubric td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
.iv-bars{margin:.4rem 0;max-width:34rem}.iv-bar{display:flex;align-items:center;gap:.5rem;margin:.15rem 0}
.iv-bar-name{width:9rem;font-size:.9rem}.iv-bar-track{flex:1;height:.8rem;background:var(--neutral-200,#e5e7eb);
border-radius:3px;overflow:hidden}.iv-bar-fill{display:block;height:100%;background:var(--color-accent,#f97316)}
.iv-bar-value{width:2.5rem;text-align:right;font-variant-numeric:tabular-nums}
.iv-feedback{border:1px solid var(--border-color-primary,#ddd);border-radius:8px;padding:.6rem .9rem;margin:.8rem 0}
.iv-feedback>details>summary h3{display:inline}
.iv-notice-box{color:#9a3412;font-weight:600}
.iv-table td,.iv-table th,.iv-table span{font-family:var(--font,system-ui,sans-serif)!important}
#chat button[aria-label="Clear"]{display:none}
button:focus-visible,textarea:focus-visible,input:focus-visible,select:focus-visible,[role=tab]:focus-visible,
summary:focus-visible{outline:3px solid #1d4ed8!important;outline-offset:2px}
.dark button:focus-visible,.dark textarea:focus-visible,.dark input:focus-visible{outline-color:#93c5fd!important}
"""


PAGE_JS = (Path(__file__).with_name("page.js")).read_text(encoding="utf-8")
"""Run once in the page: keyboard and screen-reader help (see the file)."""


def build_app(settings: Settings | None = None) -> gr.Blocks:
    """The web app: components (layout), events (handlers) and their updates (view), wired once."""
    settings = settings or load_settings()
    users = Users.load(settings.users) if settings.users else None  # missing, empty or malformed: refused now
    shared_layer().preload()  # the embedding model loads while the page is first served, not at the first grade
    store, store_problem = open_store(settings)
    banks = bundled_banks(settings)
    # Every history write is made on a thread of its own, SQLite's too: a database that hangs (a paused server,
    # a lock held by another process) must never hold up the event loop that serves everyone. (Inline SQLite
    # writes cost less CPU, 68 against 79 ms per call in bench/load.py, but one lock wait froze every visitor.)
    writer = Writer() if store is not None else None
    app = App(store, settings, writer)  # each event takes the scope of its browser's owner
    handlers = Handlers(app, banks, store_problem)
    history = HistoryTab(app, banks, store_problem)
    default_bank = next((label for label, p in banks.items() if Path(p).name == "genai_misc.md"), None)
    # The levels and topics offered are those of the banks ticked (the default at first); the row is there when
    # any offered bank has them.
    filters = filters_for(banks, [default_bank] if default_bank else None, None, None)
    tagged = any(q.level or q.topics for path in banks.values() for q in questions_or_none(path))
    with LeanBlocks(title="interviewer: mock technical interviews", analytics_enabled=False) as demo:
        shown = PageStart(
            bank_labels=list(banks),
            default_bank=default_bank,
            grader_line=grader_line(
                app.default_grader(), " ".join(filter(None, [store_problem, *bank_problems(settings)]))
            ),
            history_note=store_problem,
            regrade_choices=_regrade_choices(app),
            drafting_off=drafting_off(settings, PageLLM()) or "",
            filters=filters,
            filters_shown=tagged,
        )
        ids = BrowserIds(browser_secret(store, "browser-id-key") or os.urandom(24).hex())  # no history: none kept
        ui = build_layout(settings, shown, browser_secret(store), on_expire=lambda ws: _expire(demo, ws))
        _wire(demo, ui, handlers, history, settings.concurrency, Who(users, ids))
    quiet_monitoring()
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.interviewer_users = users  # launch() asks them to log in with it
    return demo


def _regrade_choices(app: App) -> list[tuple[str, str]]:
    """Graders a past session can be re-graded with: offline, and the server's own LLM when it has one."""
    choices = [("Offline grader (key-point coverage)", "offline")]
    default = app.default_grader()
    if not isinstance(default.grader, OfflineGrader):
        choices.append((default.label, "server"))
    return choices


def _expire(demo: gr.Blocks, ws: WebSession | None) -> None:
    """A browser session's interview expired or its tab closed: free its files and Gradio's copy of it."""
    free_files(ws)
    if isinstance(ws, WebSession):
        forget_browser_session(demo, ws.browser_session)


"""The owner of an event: the browser's id, or, when people log in, the logged-in person (never the id the page
sent, which anyone could forge)."""


PRIVATE: dict[str, Any] = {"api_visibility": "private"}
"""Events that are the page's own, not the public API's."""

NOT_YOURS = NoticeView("This interview belongs to another login or browser: nothing in it is shown or changed here.")
"""An event whose page state (found by the session hash it came with) is not its caller's interview."""
ASKED = """() => {
  const ask = document.querySelector('#end-ask');
  if (!ask || ask.offsetParent === null) return;
  document.querySelector('#end-send')?.focus();
  const live = document.querySelector('#announcer');
  if (live) live.textContent = ask.innerText.split('\\n')[0];
}"""
"""After End: when it asks about an unsent answer, the question is read and its first choice takes the focus."""
HAND_OVER = "() => { document.querySelector('#dl-file')?.click(); }"
"""Once a download is written: the hidden download button hands it to the browser."""

PAGE_IDS_KEPT = 10_000
"""Page sessions whose browser id is remembered until their load event has stored it in the browser."""


class Who:
    """Whose is an event: the logged-in person, else the browser whose signed id the page presents."""

    def __init__(self, users: Users | None, ids: BrowserIds) -> None:
        self.users, self.ids = users, ids
        # A page acted on before its load event gave the browser its id (a fast Start) must get the id the load
        # event will store, or its interview is saved under one owner and its history read under another: both
        # take the same new id, kept per page session.
        self._page_ids: OrderedDict[str, Owner] = OrderedDict()

    def __call__(self, browser_id: str | None, request: gr.Request | None) -> Owner | None:
        if self.users is not None:
            name = getattr(request, "username", None)
            return user_owner(name) if name else None
        page = getattr(request, "session_hash", None)
        presented = self.ids.owner(browser_id)  # only an id this server signed (or an old unsigned one)
        if presented is not None and page is not None:
            # The page has stored its id: its session hash no longer names it (a client that has only the
            # hash, from a proxy's log, is someone else).
            self._page_ids.pop(page, None)
        if presented is not None or not page:
            return presented
        if page not in self._page_ids:
            self._page_ids[page] = self.ids.new()
            while len(self._page_ids) > PAGE_IDS_KEPT:
                self._page_ids.popitem(last=False)
        return self._page_ids[page]

    def owns(self, ws: WebSession | None, browser_id: str | None, request: gr.Request | None) -> bool:
        """Whether the event's caller owns the page's interview. Gradio keys a page's state by a session hash
        the client makes up (and proxies log): holding another's hash must not reach their interview."""
        return ws is None or ws.scope.owner == self(browser_id, request)


def _wire(demo: gr.Blocks, ui: Layout, h: Handlers, history: HistoryTab, limit: int, who: Who) -> None:
    """Every event: inputs, handler, outputs. `start`, `answer` and `transcript` are the public API."""
    _wire_interview(ui, h, limit, who)
    _wire_resume(demo, ui, h, who)
    _wire_history(ui, history, who)


def _wire_interview(ui: Layout, h: Handlers, limit: int, who: Who) -> None:
    _wire_start(ui, h, limit, who)
    _wire_downloads(ui, h, who)
    _wire_actions(ui, h, limit, who)
    _wire_drafting(ui, h, who)


def _wire_start(ui: Layout, h: Handlers, limit: int, who: Who) -> None:
    page, private = ui.page_outputs(), PRIVATE

    # The public /start: its parameters are the API's (gradio_client keywords), one per setup input, and every
    # one has a default.
    async def start(banks=None, count=5, order="in-order", mode="practice", followups=True, base_url="", model="",  # noqa: PLR0913
                    api_key="", levels=None, topics=None, upload=None, owner=None, ws=None,
                    request: gr.Request | None = None):  # fmt: skip
        if not who.owns(ws, owner, request):
            return render(NOT_YOURS, ui)
        browser_session = request.session_hash if request else None
        form = StartForm(banks, count, order, mode, followups, base_url, model, api_key, upload, levels, topics)
        return render(await h.start(form, who(owner, request), ws, browser_session), ui)

    async def weakest(owner, ws, request: gr.Request | None = None):
        if not who.owns(ws, owner, request):
            return render(NOT_YOURS, ui)
        return render(await h.practise_weakest(ws, request.session_hash if request else None), ui)

    def again(owner, ws, request: gr.Request | None = None):
        return render(h.new_interview(ws) if who.owns(ws, owner, request) else NOT_YOURS, ui)

    def narrowed(ticked, levels, topics, upload):
        f = filters_for(h.banks, ticked, levels, topics, upload)
        return (gr.update(choices=f.levels, value=f.chosen_levels, info=f.levels_info),
                gr.update(choices=f.topics, value=f.chosen_topics, info=f.topics_info))  # fmt: skip

    mine = [ui.browser_id, ui.state]
    chosen = [ui.banks, ui.levels, ui.topics, ui.uploaded_bank]
    ui.banks.change(narrowed, chosen, [ui.levels, ui.topics], **private)
    ui.start_btn.click(start, ui.setup_inputs(), page, api_name="start", concurrency_limit=limit)
    ui.weakest_btn.click(weakest, mine, page, **private)
    ui.again_btn.click(again, mine, page, **private)
    ui.upload.change(take_upload, [ui.upload], [ui.upload_md, ui.uploaded_bank], **private).then(
        narrowed, chosen, [ui.levels, ui.topics], **private
    )


def _wire_downloads(ui: Layout, h: Handlers, who: Who) -> None:
    """The transcript (public /transcript) and the download buttons: written when asked for, for the owner."""
    mine, private = [ui.browser_id, ui.state], PRIVATE

    def transcript(fmt="json", owner=None, ws=None, request: gr.Request | None = None):
        try:
            if not who.owns(ws, owner, request):
                raise InterviewerError(NOT_YOURS.text or "")
            return h.transcript(fmt, ws)
        except InterviewerError as exc:
            raise gr.Error(str(exc)) from exc

    ui.transcript_btn.click(transcript, [ui.transcript_format, *mine], [ui.transcript_file], api_name="transcript")

    def downloader(what: str) -> Callable[..., Any]:
        def written(owner: str | None, ws: WebSession | None = None, request: gr.Request | None = None) -> Any:
            path = h.download(what, ws) if who.owns(ws, owner, request) else None
            return gr.update(value=path) if path else gr.update()

        return written

    for button, what in ((ui.dl_md, "markdown"), (ui.dl_json, "json"), (ui.dl_html, "html"), (ui.dl_anki, "anki")):
        written = button.click(downloader(what), mine, [ui.dl_file], **private)
        written.success(None, None, None, js=HAND_OVER, **private)


def _wire_actions(ui: Layout, h: Handlers, limit: int, who: Who) -> None:
    """The buttons of a running interview; each reads only this page's interview (`ui.state`)."""
    interview, private = ui.interview_outputs(), PRIVATE
    gate = _Gate(h, who, ui, interview)

    async def answer(text="", owner=None, ws=None, request: gr.Request | None = None):
        if (stop := await gate.stop(ws, owner, request)) is not None:
            yield stop
            return
        async for vm in h.answer(text, ws):
            yield render(vm, ui, within=interview)

    async def offline_now(owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.offline_now(ws), ui, within=interview)

    async def retry(owner=None, ws=None, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.retry(ws), ui, within=interview)

    async def hint(draft, owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.hint(draft, ws), ui, within=interview)

    async def skip(owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.skip(ws), ui, within=interview)

    typed, mine = [ui.answer_box, ui.browser_id, ui.state], [ui.browser_id, ui.state]
    ui.submit_btn.click(answer, typed, interview, api_name="answer", concurrency_limit=limit)
    ui.hint_btn.click(hint, typed, interview, **private)
    ui.skip_btn.click(skip, mine, interview, **private)
    ui.offline_btn.click(offline_now, mine, interview, **private)
    ui.retry_btn.click(retry, mine, interview, api_name="retry")  # public: /retry, like /answer
    _wire_ending(ui, h, who)


class _Gate:
    """Whether an action may act on the page's interview, and what the page is told when it may not."""

    def __init__(self, h: Handlers, who: Who, ui: Layout, within: list[Any]) -> None:
        self.h, self.who, self.ui, self.within = h, who, ui, within
        self.refused = render(NOT_YOURS, ui, within=within)

    async def stop(self, ws: WebSession | None, owner: str | None, request: gr.Request | None) -> Any | None:
        """None: the caller's own interview is in the page. No interview (closed while idle, or by a restart):
        Resume is offered right there when it is saved, else the page is told none is running; answered in
        the action's own event (a follow-up event after every action, to find out, doubled a page's events).
        Another's interview: refused."""
        if ws is None:  # the history is read on a worker thread: a stalled database holds up no one else
            closed = await asyncio.to_thread(self.h.closed_page, self.who(owner, request))
            return render(closed, self.ui, within=self.within)
        return None if self.who.owns(ws, owner, request) else self.refused


def _wire_ending(ui: Layout, h: Handlers, who: Who) -> None:
    """End, and what to do with an answer typed and not sent (asked first); the answer box's autosave."""
    ending, typed = ui.ending_outputs(), [ui.answer_box, ui.browser_id, ui.state]
    gate = _Gate(h, who, ui, ending)

    async def end(unsent, owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.end(ws, unsent or ""), ui, within=ending)

    async def end_sending(text, owner, ws, request: gr.Request | None = None):
        if (stop := await gate.stop(ws, owner, request)) is not None:
            yield stop
            return
        async for vm in h.end_sending(text or "", ws):
            yield render(vm, ui, within=ending)

    async def end_keeping(text, owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.end_keeping(text or "", ws), ui, within=ending)

    async def end_discarding(owner, ws, request: gr.Request | None = None):
        return await gate.stop(ws, owner, request) or render(await h.end_discarding(ws), ui, within=ending)

    ui.end_back_btn.click(lambda: gr.update(visible=False), None, [ui.end_ask], **PRIVATE)
    _wire_autosave(ui, h, who)
    asked = ui.end_btn.click(end, typed, ending, **PRIVATE)
    asked.success(None, None, None, js=ASKED, **PRIVATE)
    ui.end_send_btn.click(end_sending, typed, ending, **PRIVATE)
    ui.end_keep_btn.click(end_keeping, typed, ending, **PRIVATE)
    ui.end_discard_btn.click(end_discarding, [ui.browser_id, ui.state], ending, **PRIVATE)


def _wire_autosave(ui: Layout, h: Handlers, who: Who) -> None:
    """What is typed is kept with the interview as it is typed (only the last of a burst of keys is sent)."""

    async def keep_draft(text, owner, ws, request: gr.Request | None = None):
        if who.owns(ws, owner, request):
            await h.keep_draft(text, ws)

    typed = [ui.answer_box, ui.browser_id, ui.state]
    ui.answer_box.input(keep_draft, typed, None, trigger_mode="always_last", show_progress="hidden", **PRIVATE)


def _wire_drafting(ui: Layout, h: Handlers, who: Who) -> None:
    page_llm = [ui.base_url, ui.model, ui.api_key]

    async def draft(v: dict[Any, Any], request: gr.Request | None = None):
        """Draft with the setup form's LLM fields when filled in, else the server's LLM (a set of inputs: one dict)."""
        llm = PageLLM(v[ui.base_url], v[ui.model], v[ui.api_key])
        form = DraftForm(v[ui.draft_topic], v[ui.draft_jd], v[ui.draft_count], v[ui.draft_level],
                         v[ui.draft_experience], llm, who(v[ui.browser_id], request))  # fmt: skip
        return render(await draft_bank(h.app, h.banks, form), ui)

    with_draft: set[Block] = {ui.count, ui.order, ui.mode, ui.followups, ui.base_url, ui.model, ui.api_key,
                              ui.drafted_bank, ui.browser_id, ui.state}  # fmt: skip

    async def start_with_draft(values: dict[Any, Any], request: gr.Request | None = None):
        """Start with the drafted bank alone, under the setup form's other choices (a set of inputs: one dict)."""
        v = values
        form = StartForm([], v[ui.count], v[ui.order], v[ui.mode], v[ui.followups], v[ui.base_url], v[ui.model],
                         v[ui.api_key], v[ui.drafted_bank])  # fmt: skip
        if not who.owns(v[ui.state], v[ui.browser_id], request):
            return render(NOT_YOURS, ui)
        owner = who(v[ui.browser_id], request)
        return render(await h.start(form, owner, values[ui.state], request.session_hash if request else None), ui)

    ui.draft_btn.click(draft, {*draft_inputs(ui), *page_llm, ui.browser_id}, draft_outputs(ui), **PRIVATE)
    ui.draft_use_btn.click(start_with_draft, with_draft, ui.page_outputs(), **PRIVATE)
    if h.app.settings.llm_configured or not h.app.settings.exposure.browser_llm:
        return
    # No server LLM: the section starts off, and filling in the page's own LLM fields turns it on.
    controls = [*draft_inputs(ui), ui.draft_btn]

    def switch(base_url, model, api_key):
        off = drafting_off(h.app.settings, PageLLM(base_url, model, api_key))
        return [off or DRAFT_READY, *(gr.update(interactive=not off) for _ in controls)]

    gr.on([f.change for f in page_llm], switch, page_llm, [ui.draft_note, *controls], **PRIVATE)


def _wire_resume(demo: gr.Blocks, ui: Layout, h: Handlers, who: Who) -> None:
    private = PRIVATE

    async def resume(session_id, owner, ws, request: gr.Request | None = None):
        if not who.owns(ws, owner, request):
            return render(NOT_YOURS, ui)
        vm = await h.resume(session_id, who(owner, request), ws, request.session_hash if request else None)
        return render(vm, ui)

    async def resume_here(session_id, owner, ws, request: gr.Request | None = None):
        if not who.owns(ws, owner, request):
            return render(NOT_YOURS, ui)
        page = request.session_hash if request else None
        return render(await h.resume_keeping_answer(session_id, who(owner, request), ws, page), ui)

    resume_inputs, resumed = [ui.resume_id, ui.browser_id, ui.state], [*ui.page_outputs(), ui.resume_row]
    ui.resume_btn.click(resume, resume_inputs, resumed, **private)  # the page's outputs hold resume_here_btn
    ui.resume_here_btn.click(resume_here, resume_inputs, resumed, **private)

    def dismiss(session_id, dismissed):
        return gr.update(visible=False), [*(dismissed or []), session_id][-50:]

    ui.dismiss_btn.click(dismiss, [ui.resume_id, ui.dismissed], [ui.resume_row, ui.dismissed], **private)

    def on_load(owner, ws, dismissed, request: gr.Request | None = None):
        found = who(owner, request) or who.ids.new()
        vm = h.on_load(found, ws if who.owns(ws, owner, request) else None, dismissed)
        return render(replace(vm, owner=who.ids.token(found)), ui)  # the page stores the signed id

    demo.load(None, None, None, js=PAGE_JS)
    offer = [ui.browser_id, ui.resume_row, ui.resume_md, ui.resume_id]
    load_inputs = [ui.browser_id, ui.state, ui.dismissed]
    demo.load(on_load, load_inputs, offer, **private)


def _wire_history(ui: Layout, h: HistoryTab, who: Who) -> None:
    history, private = ui.history_outputs(), PRIVATE

    def show_history(owner, request: gr.Request | None = None):
        return render(h.history(who(owner, request)), ui)

    def open_past(session_id, owner, request: gr.Request | None = None):
        return render(h.open_past(session_id, who(owner, request)), ui)

    async def regrade(session_id, which, owner, request: gr.Request | None = None):
        return await h.regrade_past(session_id, which, who(owner, request))

    def delete_all(owner, request: gr.Request | None = None):
        return render(h.delete_history(who(owner, request)), ui)

    for event in (ui.history_tab.select, ui.refresh_btn.click):
        event(show_history, [ui.browser_id], history, **private)
    past = [ui.past_md, ui.past_json, ui.past_html, ui.past_view, ui.past_anki]
    ui.past_pick.change(open_past, [ui.past_pick, ui.browser_id], past, **private)

    ui.regrade_btn.click(regrade, [ui.past_pick, ui.regrade_with, ui.browser_id], [ui.regrade_view], **private)
    ui.delete_btn.click(lambda: gr.update(visible=True), None, [ui.confirm_row], **private)
    ui.cancel_btn.click(lambda: gr.update(visible=False), None, [ui.confirm_row], **private)
    ui.confirm_btn.click(delete_all, [ui.browser_id], history, **private)


def launch(demo: gr.Blocks | None = None, **overrides: Any) -> gr.Blocks:
    """Start the app (blocking unless prevent_thread_lock=True is passed). Quiet: Gradio's startup lines end
    with a hint to set `share=True`, which a user of this app cannot act on; the address is printed here."""
    configure_logging()
    settings = load_settings()
    options = {**server_settings(settings), **overrides}  # a wrong setting fails here, before the app is built
    demo = demo or build_app()
    users = getattr(demo, "interviewer_users", None)
    if users is not None:  # people log in with their own names (a shared INTERVIEWER_AUTH login gives way)

        async def check(name: str, password: str) -> bool:  # scrypt takes ~30 ms: not on the event loop
            return await asyncio.to_thread(users.check, name, password)

        options |= {"auth": check, "auth_message": "Log in to practise: your history follows you."}
    proxies = settings.trusted_proxies or ()
    trust_proxies(proxies)  # uvicorn reads X-Forwarded-For before any middleware: the same proxies, or none
    if "auth" in options:  # failed logins are rate-limited per client
        options["app_kwargs"] = {"middleware": [Middleware(LoginLimiter, trusted=proxies)]}
    blocking = not options.pop("prevent_thread_lock", False)
    options.setdefault("quiet", True)
    demo.launch(css=CSS, theme=interviewer_theme(), max_file_size=MAX_UPLOAD_BYTES, show_error=True,
                footer_links=["api"], prevent_thread_lock=True, **options)  # fmt: skip
    print(f"* Running on local URL:  {(demo.local_url or '').rstrip('/')}", flush=True)
    if blocking:
        demo.block_thread()
    return demo
