"""The web app's History tab events: the saved sessions, progress and statistics of the browser's owner, a past
session's files and cards, its re-grade, and deleting it all."""

from __future__ import annotations

import asyncio
import logging
import os

from .. import webview as html
from ..errors import HistoryUnavailable, InterviewerError
from ..grading.factory import offline_choice
from ..owner import Owner
from ..presentation import plural
from ..review import DueCount
from ..rows import SessionRow
from ..service import App, OwnerScope
from .private import private_folder
from .setup import questions_or_none
from .state import write_deck_file, write_transcript_files
from .views import HistoryView, PastView

log = logging.getLogger(__name__)
UNREADABLE = "The history cannot be read right now. Try again in a moment."
"""Said to a visitor when the history cannot be read (the reason is in the server's log, not for their eyes)."""


def due_words(due: DueCount) -> str:
    """Due counts of practised questions only: a question never seen is new, not due for review."""
    if not due.seen:
        return "No question practised yet: reviews fall due once you have answered some."
    verb = "is" if due.due == 1 else "are"
    return (
        f"**{due.due}** of the {plural(due.seen, 'question')} you have practised {verb} due for review "
        f"(choose the order *due for review* to practise them); {due.unseen} in the bundled banks not yet."
    )


def scope_for(app: App, owner: Owner | None) -> OwnerScope:
    """The app for an event's owner. Before the page has loaded its id, a browser owns nothing it could find
    again: a throwaway id."""
    return app.scope(owner or Owner.browser(os.urandom(12).hex()))


def newest_session(scope: OwnerScope) -> SessionRow | None:
    try:
        return next(iter(scope.sessions()), None)  # newest first
    except HistoryUnavailable:  # the database is away: no offer now, the next load asks again
        return None


class HistoryTab:
    def __init__(self, app: App, banks: dict[str, str], store_problem: str = "") -> None:
        self.app = app
        self.banks = banks
        """Label -> path of the banks offered."""
        self.store_problem = store_problem

    def history(self, owner: Owner | None) -> HistoryView:
        if not self.app.keeps_history:
            return HistoryView(note=self.store_problem)
        if not owner:  # the browser's id is not known yet: show nothing rather than everyone's sessions
            return HistoryView(note="Loading your history…")
        core = self.app.scope(owner)
        all_questions = [q for path in self.banks.values() for q in questions_or_none(path)]
        try:
            rows, points, stats, due = (
                core.sessions(),
                core.progress(),
                core.question_stats(),
                core.due_count(all_questions),
            )
        except HistoryUnavailable:  # the reason is in the server's log (store.py): not for visitors' eyes
            return HistoryView(note=UNREADABLE)
        trend = "" if len(points) > 1 else " The chart draws its lines from your second scored session on."
        return HistoryView(
            due=due_words(due) + trend,
            progress=html.progress_rows(points),
            sessions=html.sessions_rows(rows),
            choices=[(f"{r.started_at:%Y-%m-%d %H:%M} · {r.id[:8]}", r.id) for r in rows],
            stats=html.question_stats_rows(stats),
        )

    def open_past(self, session_id: str | None, owner: Owner | None) -> PastView:
        if not self.app.keeps_history or not session_id or not owner:
            return PastView()
        try:
            tr = self.app.scope(owner).saved_transcript(session_id)  # only this browser's own sessions
        except HistoryUnavailable:  # the reason is in the server's log (store.py): not for visitors' eyes
            return PastView(cards=html.notice_html(UNREADABLE))
        except InterviewerError as exc:  # e.g. deleted meanwhile in another tab
            log.info("past session %s not opened: %s", session_id[:8], exc)
            return PastView(cards=html.notice_html(f"That session cannot be opened: {exc}."))
        # One folder per past session, rewritten on each opening (nothing piles up), in the process's own
        # private folder: no fixed shared path another local user could plant a link in.
        folder = private_folder() / "past" / tr.session_id
        files = write_transcript_files(tr, folder, ("markdown", "json", "html"))
        cards = html.feedback_cards_html(tr.turns)
        return PastView(files, cards=cards, deck=write_deck_file(tr, folder))

    async def regrade_past(self, session_id: str | None, which: str | None, owner: Owner | None) -> str:
        """The opened past session graded again (offline, or with the server's LLM): the comparison, as HTML.
        The re-grade is saved as its own session; the original is untouched."""
        if not self.app.keeps_history or not owner:
            return html.e(self.store_problem or "History is off.")
        if not session_id:
            return "Open a past session first, then re-grade it."
        core = self.app.scope(owner)
        if which == "server" and (over := self.app.llm_budget.take(owner)):
            return f"Cannot re-grade now: {html.e(over)}."
        choice = self.app.default_grader() if which == "server" else offline_choice()
        try:
            original = await asyncio.to_thread(core.saved_transcript, session_id)  # own sessions only; off the loop
            _, report = await core.regrade(original, choice)
        except InterviewerError as exc:
            return f"Cannot re-grade: {html.e(str(exc))}"
        return html.regrade_html(report)

    def delete_history(self, owner: Owner | None) -> HistoryView:
        if self.app.keeps_history and owner:
            self.app.scope(owner).delete_all()
        return self.history(owner)
