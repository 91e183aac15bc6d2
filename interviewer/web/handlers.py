"""The web app's events, one method each: translate what the page sent into calls on the application core,
and return view models (`view.py` turns them into Gradio updates). No Gradio in here."""

from __future__ import annotations

import asyncio
import math
import os
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args

from .. import bank as bank_mod
from .. import webview as html
from ..conversation import ENDED, FOLLOW_UP, draft_warning
from ..errors import ConfigError, InterviewerError
from ..grading.factory import GraderChoice, offline_choice
from ..grading.models import GraderId
from ..owner import Owner
from ..service import App, OwnerScope
from ..session import MOST_QUESTIONS, FollowUpPiece, Mode, Order, Refused, SessionOver, Step, StepTaken
from ..unicode import replaced_notice, scrub, without_images
from .history_events import newest_session, scope_for
from .state import FORMATS, WebSession, free_files, write_deck_file
from .views import ChatView, EndAsked, NoticeView, PageView, ResumeHere, ResumeOffer


@dataclass(frozen=True)
class StartForm:
    """What the setup form sent to start an interview (the parameters of the public /start)."""

    banks: list[str] | None
    """Labels of the bundled banks picked."""
    count: float | None
    order: str | None
    mode: str | None
    followups: bool
    base_url: str
    model: str
    api_key: str
    """LLM settings for this browser session only (never stored)."""
    upload: bank_mod.Bank | str | None
    """An uploaded bank, or the error that makes it unusable."""
    levels: list[str] | None = None
    """Only questions of these levels (none: all), from the banks' metadata."""
    topics: list[str] | None = None

    def checked(self) -> StartForm:
        """The form as a session starts from it, or a ConfigError naming the field at fault. The public /start takes
        any value: a number of questions must be finite and in range, an order, a mode and levels known. (The LLM
        fields are checked where every use of them is, `App.grader_for`.)"""
        for name, value, known in (("order", self.order, get_args(Order)), ("mode", self.mode, get_args(Mode))):
            if value and value not in known:
                raise ConfigError(f"the {name} must be one of {', '.join(known)} (got {value!r})")
        levels = list(self.levels or [])
        if unknown := [lv for lv in levels if lv not in bank_mod.LEVELS]:
            raise ConfigError(f"unknown level {str(unknown[0])[:40]!r}: use junior, mid or senior")
        topics = [str(t).strip().lower() for t in self.topics or [] if str(t).strip()]
        return replace(self, count=_question_count(self.count), levels=levels, topics=topics)


def _question_count(value: object) -> int:
    """The number of questions asked for (5 when none is): a finite number from 1 to MOST_QUESTIONS, its whole
    part taken."""
    if not value:
        return 5
    try:
        number = float(value)  # type: ignore[arg-type]  # a string or a number from the API; anything else fails
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and 1 <= number <= MOST_QUESTIONS):
        raise ConfigError(f"the number of questions must be a whole number from 1 to {MOST_QUESTIONS} (got {value!r})")
    return int(number)


NOT_STARTED = NoticeView(
    "No interview is running in this page: start one, or, if this one was closed after a long idle time, "
    "reload the page to resume it (it is saved). What you typed is still in the box."
)
TAKEN_OVER = NoticeView(
    "This interview goes on in another tab, where it was resumed: this tab no longer takes answers, so none is "
    "overwritten. What you typed is still in the box."
)
ANSWER_LIMIT = 20_000
"""Characters of one answer sent from the web app (about 4,000 words)."""
NOT_WAITING = NoticeView("Not waiting for the LLM: your answer is being graded offline now.", offer_offline=False)
OFFER_OFFLINE = NoticeView(
    "The LLM is taking a while to grade. Wait, or press **Grade offline now** (key-point coverage) to go on.",
    offer_offline=True,
)
STILL_GRADING = NoticeView(
    "Still grading your last answer: wait a moment, or press Skip or End to stop waiting for the LLM (what you typed "
    "is kept)."
)


class Handlers:
    """The interview's events and the resume offer (the History tab's are `HistoryTab`'s)."""

    def __init__(self, app: App, banks: dict[str, str], store_problem: str = "") -> None:
        self.app = app
        """Shared by every browser; each event takes the scope of its browser's owner."""
        self.banks = banks
        """Label -> path of the banks offered."""
        self.store_problem = store_problem
        self.live: weakref.WeakValueDictionary[str, WebSession] = weakref.WeakValueDictionary()
        """The one page that runs each session: resuming it elsewhere takes it over."""

    def _run_here(self, ws: WebSession) -> None:
        """`ws` is now the one live copy of its session; a copy in another tab stops taking answers."""
        other = self.live.get(ws.session.session_id)
        if other is not None and other is not ws:
            other.taken_over = True
        self.live[ws.session.session_id] = ws

    # -- the interview ---------------------------------------------------------------------------

    async def start(
        self, form: StartForm, owner: Owner | None, ws: WebSession | None, browser_session: str | None
    ) -> PageView:
        # Parsing banks, planning over every question loaded, resolving a typed LLM host and the history's
        # first write are work and waits: made on a worker thread, so that one visitor's start (a 2 MB upload,
        # a slow resolver) never holds up another visitor's answer on the event loop.
        made = await asyncio.to_thread(self._started, form, owner, ws, browser_session)
        if isinstance(made, PageView):
            return made
        await made.check_history()
        self._run_here(made)
        return PageView(made, answer="")

    def _started(
        self, form: StartForm, owner: Owner | None, ws: WebSession | None, browser_session: str | None
    ) -> WebSession | PageView:
        """A new interview from the setup form (or the page that says why not)."""
        core = scope_for(self.app, owner)
        try:
            form = form.checked()
            choice = self.app.grader_for(form.base_url, form.model, form.api_key)
            choice = self.app.within_budget(choice, core.owner)
            paths = [self.banks[label] for label in (form.banks or []) if label in self.banks]
            questions = self.app.load_questions(paths)
            upload = form.upload
            if isinstance(upload, str):
                return PageView(None, error=f"**The uploaded bank has an error:** {upload} Fix it or remove it.")
            if upload is not None:
                taken = {q.id: q.source for q in questions}
                if clash := next((q for q in upload.questions if q.id in taken), None):
                    return PageView(None, error=(
                        f"**The uploaded bank has the file name of a bank ticked:** its question {clash.id} is also "
                        f"{html.literal_markdown(Path(taken[clash.id]).name)}'s. Rename the file or untick that bank."
                    ))  # fmt: skip
                questions += upload.questions
            if not questions:
                return PageView(None, error="Choose at least one question bank (or upload one).")
            chosen = bank_mod.matching(questions, form.levels or [], form.topics or [])
            if not chosen:
                held = html.literal_markdown(bank_mod.holdings(questions))
                return PageView(None, error=f"No question of these banks has the levels and topics chosen: {held}.")
            questions = chosen
        except (InterviewerError, OSError) as exc:
            return PageView(None, error=f"**Cannot start:** {html.literal_markdown(str(exc))}")
        banks = [Path(p).name for p in paths]
        draft_notice = ""
        if isinstance(upload, bank_mod.Bank):
            banks.append(upload.label(Path(upload.path).name))
            if upload.draft:
                draft_notice = draft_warning(banks[-1])
        settings = self.app.session_settings(
            count=int(form.count or 5),
            order=form.order or "in-order",
            mode=form.mode or "practice",
            followups=self.app.followups_on(bool(form.followups)),
            banks=banks,
        )
        free_files(ws)
        session = core.start(questions, settings, choice)
        notice = " ".join(filter(None, [choice.notice, self.store_problem, draft_notice]))  # said where it happens
        new = WebSession(core, session, choice.label, notice=notice, browser_session=browser_session)
        new.greet()
        return new

    @staticmethod
    def _refusal(ws: WebSession | None) -> NoticeView | None:
        """Why this page cannot act on its running interview now (None: it can)."""
        if ws is not None and ws.session.finished:
            return NOT_STARTED
        return Handlers._unavailable(ws)

    @staticmethod
    def _unavailable(ws: WebSession | None) -> NoticeView | None:
        """Why this page cannot act on its interview, running or finished, now (None: it can). One action at a
        time per session; the answer box keeps what was typed."""
        if ws is None:
            return NOT_STARTED
        if ws.taken_over:
            return TAKEN_OVER
        return STILL_GRADING if ws.busy.locked() else None

    async def answer(self, text: str | None, ws: WebSession | None) -> AsyncIterator[Any]:
        if refusal := self._refusal(ws):
            yield refusal
            return
        assert ws is not None
        text, replaced = scrub(text or "")
        if not text.strip():
            yield NoticeView("Type an answer first, or press Skip to move on.")
            return
        if len(text) > ANSWER_LIMIT:  # it reaches the model whole; a written answer is never this long
            yield NoticeView(f"Your answer is {len(text):,} characters long: the most is {ANSWER_LIMIT:,}. It is "
                             "still in the box: shorten it, then send it.")  # fmt: skip
            return
        async with ws.busy:
            ws.heard(text)
            ws.notice = replaced_notice(replaced) if replaced else ""
            ws.say("…")
            yield ChatView(ws, clear_answer=True)  # echo at once: only what changed
            written = ""
            step = Step()
            try:
                async for event in _offering_offline(ws, ws.session.answer_stream(text)):
                    if isinstance(event, NoticeView):
                        yield event
                        continue
                    if isinstance(event, FollowUpPiece):
                        written += event.text
                        shown = html.e(without_images(written))  # no remote image the LLM wrote is fetched
                        ws.chat[-1] = {"role": "assistant", "content": f"**{FOLLOW_UP}:** {shown}"}
                        yield ChatView(ws)
                    elif isinstance(event, StepTaken):
                        step = event.step
            except SessionOver:
                ws.chat.pop()
                yield PageView(ws)
                return
            ws.chat.pop()  # the placeholder; the step's messages replace it
            ws.show_step(step)
            await ws.check_history()
            yield PageView(ws)

    async def offline_now(self, ws: WebSession | None) -> Any:
        """The "Grade offline now" button: stop waiting for the LLM's grade."""
        if ws is None or ws.taken_over or not ws.busy.locked():
            return NoticeView(None, offer_offline=False)  # the grade came first: nothing to stop
        ws.session.grade_offline_now()
        return NOT_WAITING

    async def retry(self, ws: WebSession | None) -> Any:
        """Try again: answer the question just graded once more (practice mode)."""
        if (refusal := self._unavailable(ws)) or ws is None:
            return refusal
        async with ws.busy:
            asked = ws.session.retry()
            if isinstance(asked, Refused):
                return NoticeView(asked.reason)
            ws.chat.append({"role": "user", "content": "*(try again)*"})  # its own bubble, in the order it happened
            ws.say(html.e(asked))
            await ws.check_history()
        return PageView(ws, answer="")

    async def practise_weakest(self, ws: WebSession | None, browser_session: str | None) -> PageView:
        """After a mock interview: a practice session on its weakest questions (at most 3), same grader."""
        if ws is None or not ws.session.finished:
            return PageView(ws)
        weakest = [q.question_id for q in ws.session.summary().weakest][:3]
        questions = [q for qid in weakest for q in ws.session.questions if q.id == qid]
        s = ws.session
        settings = s.settings.model_copy(update={"mode": "practice", "order": "in-order", "count": len(questions)})
        choice = GraderChoice(s.grader, s.graders.followup_writer, ws.grader_label)
        free_files(ws)
        new = WebSession(ws.scope, ws.scope.start(questions, settings, choice), ws.grader_label,
                         notice=ws.notice, browser_session=browser_session)  # fmt: skip
        new.greet()
        self._run_here(new)
        return PageView(new, answer="")

    async def hint(self, draft: str | None, ws: WebSession | None) -> Any:
        if (refusal := self._refusal(ws)) or ws is None:
            return refusal
        said = ws.session.hint(scrub(draft or "")[0])
        ws.say(html.e(said.reason if isinstance(said, Refused) else said))
        await ws.check_history()
        return PageView(ws)

    async def skip(self, ws: WebSession | None) -> Any:
        if ws is not None and ws.busy.locked() and not ws.taken_over:  # grading: stop waiting for the LLM
            ws.session.grade_offline_now()
            return NOT_WAITING
        if (refusal := self._refusal(ws)) or ws is None:
            return refusal
        async with ws.busy:
            ws.chat.append({"role": "user", "content": "*(skipped)*"})
            ws.show_step(ws.session.skip())
            await ws.check_history()
        return PageView(ws, answer="")

    async def end(self, ws: WebSession | None, unsent: str = "") -> Any:
        """End the interview; with text typed and not sent, first ask what to do with it (`EndAsked`)."""
        if ws is not None and unsent.strip() and not ws.busy.locked() and self._refusal(ws) is None:
            return EndAsked(ws)
        if ws is not None and ws.busy.locked() and not ws.taken_over:
            ws.session.grade_offline_now()  # stop waiting for the LLM, then end once the answer is graded
        elif (refusal := self._unavailable(ws)) or ws is None:
            return refusal
        async with ws.busy:
            if not ws.session.finished:
                await ws.session.finish()
                ws.say(ENDED)
                await ws.check_history()
        return PageView(ws)

    async def end_sending(self, text: str, ws: WebSession | None) -> AsyncIterator[Any]:
        """End, asked about unsent text: "send it" (graded, a follow-up it would get is left unasked)."""
        async for view in self.answer(text, ws):
            yield view
        yield await self.end(ws)

    async def end_keeping(self, text: str, ws: WebSession | None) -> Any:
        """End, asked about unsent text: "keep it as a draft" (saved with the interview, not graded)."""
        if ws is not None and self._refusal(ws) is None:
            ws.session.keep_draft(text)
        return await self.end(ws)

    async def end_discarding(self, ws: WebSession | None) -> Any:
        """End, asked about unsent text: "discard it"."""
        if ws is not None and self._refusal(ws) is None:
            ws.session.keep_draft("")
        view = await self.end(ws)
        return replace(view, answer="") if isinstance(view, PageView) else view

    async def keep_draft(self, text: str, ws: WebSession | None) -> None:
        """The answer box's autosave: what is typed is kept with the interview (a reload, a crash, a resume on
        another device find it), never graded until sent. Skipped while an answer is being graded. (A coroutine:
        it runs on the event loop, in turn with the page's other events, never beside them on a thread.)"""
        if ws is not None and self._unavailable(ws) is None:
            ws.session.keep_draft(text)

    def new_interview(self, ws: WebSession | None) -> PageView:
        free_files(ws)
        return PageView(None)

    def transcript(self, fmt: str, ws: WebSession | None) -> str:
        """The path of the transcript so far in a format (markdown, json or html)."""
        if ws is None:
            raise InterviewerError("No interview in this session yet: call /start first.")
        return ws.write_transcript(fmt if fmt in FORMATS else "json")[0]

    def download(self, what: str, ws: WebSession | None) -> str | None:
        """A download button clicked: the file written now (None: nothing to download, e.g. no interview)."""
        if ws is None or not ws.session.turns:
            return None
        if what == "anki":
            return write_deck_file(ws.session.transcript(), ws.folder)
        return self.transcript(what, ws)

    # -- resume ----------------------------------------------------------------------------------

    def on_load(self, owner: Owner | None, ws: WebSession | None, dismissed: list[str] | None = None) -> ResumeOffer:
        """Give this browser an id, and offer to resume its latest interview if it is unfinished, has an answer
        and was not put off with "Not now" (`dismissed`, remembered in the browser)."""
        owner = owner or Owner.browser(os.urandom(12).hex())
        offer = None
        if ws is None:
            latest = newest_session(self.app.scope(owner))
            if latest and latest.finished_at is None and latest.answered and latest.id not in (dismissed or []):
                offer = latest
        if offer is None:
            return ResumeOffer(owner.key)
        text = (
            f"You have an unfinished interview from {offer.started_at:%Y-%m-%d %H:%M} UTC "
            f"({offer.answered} of {offer.total} questions answered)."
        )
        return ResumeOffer(owner.key, text, offer.id)

    def closed_page(self, owner: Owner | None) -> ResumeHere | NoticeView:
        """What an action says on a page with no interview: if the page's interview was closed (idle too long,
        or the server restarted) but is saved, an offer to resume it right there; else that none is running."""
        if not self.app.keeps_history or not owner:
            return NOT_STARTED
        latest = newest_session(self.app.scope(owner))
        if latest is None or latest.finished_at is not None:
            return NOT_STARTED
        return ResumeHere(
            f"This page's interview was closed after a long idle time, but it is saved ({latest.answered} of "
            f"{latest.total} questions answered). Press **Resume it** to go on here; what you typed stays in the box.",
            latest.id,
        )

    async def resume(
        self,
        session_id: str | None,
        owner: Owner | None,
        ws: WebSession | None,
        browser_session: str | None,
    ) -> PageView:
        if not self.app.keeps_history or not session_id or not owner:
            return PageView(ws, hide_resume=True)
        new = await asyncio.to_thread(self._resumed, session_id, owner, ws, browser_session)  # reads: off the loop
        session = new.session
        self._run_here(new)
        step = await session.settle()
        if step is not None:
            new.show_step(step)
        return PageView(new, answer=session.draft, hide_resume=True)

    def _resumed(self, session_id: str, owner: Owner, ws: WebSession | None, browser_session: str | None) -> WebSession:
        core = self.app.scope(owner)
        free_files(ws)
        choice, notice = self._grader_to_resume(core, session_id)
        choice = self.app.within_budget(choice, owner)
        session = core.resume(session_id, choice)  # only this browser's own sessions
        new = WebSession(core, session, choice.label, notice=notice, browser_session=browser_session)
        new.replay()
        return new

    async def resume_keeping_answer(
        self, session_id: str | None, owner: Owner | None, ws: WebSession | None, browser_session: str | None
    ) -> PageView:
        """Resume in the page whose interview was closed: what was typed in the answer box stays."""
        return replace(await self.resume(session_id, owner, ws, browser_session), answer=None)

    @staticmethod
    def _grader_to_resume(core: OwnerScope, session_id: str) -> tuple[GraderChoice, str]:
        """The grader a resumed interview goes on with, and what the candidate is told about it. LLM settings
        typed in the page are never stored: an interview they graded goes on offline (never with the server's
        own LLM, a provider the candidate did not choose), and says so."""
        default = core.app.default_grader()
        was = core.saved_transcript(session_id).grader
        if was == default.grader.name:
            return default, ""
        if GraderId.parse(was).is_offline:
            return offline_choice(), ""
        return offline_choice(), (
            f"This interview was graded by {was.removeprefix('llm:')} with LLM settings typed in the page, which "
            "are never stored: it goes on with the offline grader (key-point coverage). To grade with your LLM "
            "again, start a new interview with its settings."
        )


async def _offering_offline(ws: WebSession, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The answer's events, with OFFER_OFFLINE put in once its grading has waited for the LLM for
    `offline_offer_after` seconds (the follow-up's own writing has its own short budget)."""
    after, offered = ws.scope.settings.offline_offer_after, False
    iterator = aiter(events)
    while True:
        pending = asyncio.ensure_future(anext(iterator))
        try:
            while not offered and not pending.done():
                await asyncio.wait({pending}, timeout=min(0.5, after or 0.5))
                if not pending.done() and ws.session.waiting_for_grade() >= after:
                    offered = True
                    ws.changes("offline_btn", visible=True)  # so that the page's next render hides it again
                    yield OFFER_OFFLINE
            event = await pending
        except StopAsyncIteration:
            return
        finally:
            pending.cancel()  # only when the page went away mid-wait; a finished one ignores it
        yield event
