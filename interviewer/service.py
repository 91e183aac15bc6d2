"""The application core: everything the terminal and the web app do, for one explicit owner.

`App` is built once per process (history, settings, the server's grader); `OwnerScope` is the app for one
owner (the terminal, a browser, a logged-in person): planning, starting and resuming sessions, and the
owner's history (stats, import, export, delete), review order included. A started session is driven through
its own methods (`session.py`). With the history off (`NoHistory`), sessions still run and reads are empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from . import anki, review
from . import bank as bank_mod
from .anki import CardNote
from .bank import Question
from .budget import LLMBudget, within_budget
from .config import Settings
from .errors import ConfigError, InterviewerError
from .grading.base import CoveragePolicy
from .grading.factory import GraderChoice, choose_grader, knowing
from .grading.offline import OfflineGrader
from .llm import check_base_url, check_model_name, clean_api_key
from .netguard import Allowed, refusal
from .owner import Owner, Scope
from .planning import plan_questions
from .recorder import Recorder, Writer, import_transcript
from .regrade import RegradeReport, regrade
from .rows import ProgressPoint, QuestionStat, SessionRow
from .session import Graders, Session, SessionSettings
from .store import Store
from .transcript import Transcript


class HistoryOff(InterviewerError):
    """An action that needs the history, asked while there is none."""

    def __init__(self) -> None:
        super().__init__("history is off: the data folder cannot be used")


class NoHistory:
    """The history when there is none (the data folder cannot be used): reads are empty, the rest refuses."""

    def sessions(self, scope: Scope) -> list[SessionRow]:
        return []

    def question_stats(self, scope: Scope) -> list[QuestionStat]:
        return []

    def progress(self, scope: Scope) -> list[ProgressPoint]:
        return []

    def review_states(self, owner: Owner) -> dict[str, review.ReviewState]:
        return {}

    def delete_all(self, scope: Scope) -> int:
        return 0

    def resolve(self, session_id: str, scope: Scope) -> str:
        raise HistoryOff()

    def transcript(self, session_id: str) -> Transcript:
        raise HistoryOff()

    def delete(self, session_id: str) -> None:
        raise HistoryOff()


class App:
    """What every owner shares: the history, the settings and the server's grader. Built once per process."""

    def __init__(self, store: Store | None, settings: Settings, writer: Writer | None = None) -> None:
        self.history: Store | NoHistory = store if store is not None else NoHistory()
        self.settings = settings
        self.writer = writer
        self.llm_budget = LLMBudget(settings.llm_per_minute)
        """Calls of the server's LLM per owner per minute (the web app's visitors)."""
        """Where the history's writes are made (None: at once, by the caller; the web app writes on a thread of
        its own, off the event loop)."""
        self._default_grader: GraderChoice | None = None

    @property
    def keeps_history(self) -> bool:
        return isinstance(self.history, Store)

    def store(self) -> Store:
        """The history's store, for what only a real history can do (HistoryOff when there is none)."""
        if not isinstance(self.history, Store):
            raise HistoryOff()
        return self.history

    def recorder(self, owner: Owner) -> Recorder | None:
        """What saves a session of the owner's as it goes (None: no history to save it in)."""
        if not isinstance(self.history, Store):
            return None
        return Recorder(self.history, owner, self.writer, wait=self.settings.storage.history_wait)

    def scope(self, owner: Owner) -> OwnerScope:
        """The app for one owner: its sessions and history, and no one else's."""
        return OwnerScope(self, owner)

    # -- grader ----------------------------------------------------------------------------------

    def within_budget(self, choice: GraderChoice, owner: Owner) -> GraderChoice:
        """`choice`, its grading counted against the owner's budget of the server's LLM (when it is that LLM)."""
        return within_budget(choice, self.default_grader(), self.llm_budget, owner)

    def default_grader(self) -> GraderChoice:
        """The grader the settings ask for (chosen once)."""
        if self._default_grader is None:
            self._default_grader = choose_grader(self.settings)
        return self._default_grader

    def grader_for(self, base_url: str = "", model: str = "", api_key: str = "") -> GraderChoice:
        """The server's grader, or one built from LLM settings a browser typed in (kept in memory only)."""
        url, model = (base_url or "").strip(), (model or "").strip()
        key = clean_api_key(api_key or "", "the API key field") or ""
        if model and (problem := check_model_name(model)):
            raise ConfigError(f"the model name is not usable: {problem}")
        if not (url or model or key):
            return self.default_grader()
        if not self.settings.exposure.browser_llm:
            raise ConfigError("this app does not take LLM settings from the browser (INTERVIEWER_BROWSER_LLM_SETTINGS)")
        allowed = self._reachable(url)
        if not model and not self.settings.model:
            raise ConfigError("enter a model name to use an LLM (for example gpt-4o-mini, or llama3.1 on Ollama)")
        overrides: dict[str, Any] = {"grader": "llm"}
        if url and url != self.settings.base_url:
            # Another server: the server's own key must never travel to a URL a visitor typed.
            overrides["base_url"] = url
            overrides["api_key"] = None
        if model:
            overrides["model"] = model
        if key:
            overrides["api_key"] = SecretStr(key)  # model_copy does not validate: wrap it as the field expects
        if not (url or key or self.settings.base_url or self.settings.api_key):
            raise ConfigError("enter a base URL (a local server such as Ollama) or an API key (OpenAI) with the model")
        return choose_grader(self.settings.model_copy(update=overrides), allowed)

    def _reachable(self, url: str) -> Allowed | None:
        """Refuse a base URL a browser typed that cannot be used; when serving others, the hosts it may reach
        (no requests to internal hosts, now or later). None: no limit."""
        if not url:
            return None
        if problem := check_base_url(url):
            raise ConfigError(f"the base URL is not usable: {problem}")
        exposure = self.settings.exposure
        if not exposure.hosted:
            return None
        if problem := refusal(url, exposure.llm_hosts):
            raise ConfigError(f"the base URL is refused: {problem}")
        return Allowed(exposure.llm_hosts)

    # -- what a session is made of -----------------------------------------------------------------

    def session_settings(
        self, *, count: int = 5, order: str = "in-order", mode: str = "practice", followups: int | None = None,
        seed: int | None = None, banks: Sequence[str] = (),
    ) -> SessionSettings:  # fmt: skip
        """Settings of a new session (validated: an unknown order or mode is refused). `followups`: the number
        allowed per question; None: the configured number."""
        allowed = self.settings.followups if followups is None else followups
        return SessionSettings.model_validate(
            {"count": count, "order": order, "mode": mode, "followups": allowed, "seed": seed, "banks": list(banks),
             "attempts": self.settings.max_attempts}
        )  # fmt: skip

    def followups_on(self, on: bool) -> int:
        """The follow-ups allowed per question when a page's switch turns them on (at least one) or off."""
        return max(1, self.settings.followups) if on else 0

    def load_questions(self, paths: Sequence[str | Path]) -> list[Question]:
        return list(bank_mod.all_questions(bank_mod.load_banks(paths)))


class OwnerScope:
    """The app for one owner: every read and write of sessions and history is this owner's own."""

    def __init__(self, app: App, owner: Owner) -> None:
        self.app = app
        self.owner = owner

    @property
    def settings(self) -> Settings:
        return self.app.settings

    # -- planning and starting -------------------------------------------------------------------

    def plan(self, questions: Sequence[Question], settings: SessionSettings) -> list[Question]:
        """The session's questions in the order asked (weakest/due first from the owner's history)."""
        rank = review.ranker(self.review_states(), settings.order, datetime.now(UTC))
        return plan_questions(questions, settings, rank=rank)

    def start(
        self, questions: Sequence[Question], settings: SessionSettings, grader: GraderChoice | None = None
    ) -> Session:
        """Plan and start a session, saved as it goes."""
        return Session.start(
            self.plan(questions, settings),
            settings,
            graders_for(grader or self.app.default_grader(), questions),
            self.app.recorder(self.owner),
        )

    def unfinished(self) -> list[SessionRow]:
        """The owner's unfinished sessions, newest first."""
        return [s for s in self.sessions() if s.finished_at is None]

    def resume(self, session_id: str | None = None, grader: GraderChoice | None = None) -> Session:
        """An unfinished session of the owner's (its latest, or the one named by a unique id prefix) rebuilt
        from the history; call `settle` next."""
        self.app.store()  # says the history is off before looking for a session in it
        if session_id is None:
            unfinished = self.unfinished()
            if not unfinished:
                raise InterviewerError("no unfinished session to resume")
            session_id = unfinished[0].id
        return resume_saved(self.app, self.resolve(session_id), grader)

    # -- history ---------------------------------------------------------------------------------

    def sessions(self, scope: Scope | None = None) -> list[SessionRow]:
        return self.app.history.sessions(scope or self.owner)

    def resolve(self, session_id: str, scope: Scope | None = None) -> str:
        """The full id of a saved session of the owner's (or of the scope's), from an id or a unique prefix."""
        return self.app.history.resolve(session_id, scope or self.owner)

    def saved_transcript(self, session_id: str, scope: Scope | None = None) -> Transcript:
        """A saved session of the owner's (or of the scope's), by id or a unique prefix of one."""
        return self.app.history.transcript(self.resolve(session_id, scope))

    def question_stats(self) -> list[QuestionStat]:
        return self.app.history.question_stats(self.owner)

    def progress(self) -> list[ProgressPoint]:
        return self.app.history.progress(self.owner)

    def review_states(self) -> dict[str, review.ReviewState]:
        return self.app.history.review_states(self.owner)

    def due_count(self, questions: Sequence[Question]) -> review.DueCount:
        return review.count_due(list(questions), self.review_states(), datetime.now(UTC))

    def import_transcript(self, transcript: Transcript) -> None:
        import_transcript(self.app.store(), transcript, self.owner)

    def anki_notes(self, weakest: int) -> list[CardNote]:
        """Notes for the key points missed in the owner's `weakest` questions (by their last score), from each
        question's latest session."""
        ids = [s.question_id for s in self.question_stats()[:weakest]]  # weakest first
        notes = anki.notes_for(self.saved_transcript(row.id) for row in self.sessions() if row.regrade_of is None)
        return sorted((n for n in notes if n.question_id in ids), key=lambda n: ids.index(n.question_id))

    async def regrade(self, original: Transcript, choice: GraderChoice) -> tuple[Transcript, RegradeReport]:
        """A saved session graded again by another grader: a new transcript (`regrade_of` the original, which is
        left untouched), saved in the history as its own session when there is one; it never changes reviews."""
        transcript, report = await regrade(original, choice.grader)
        if self.app.keeps_history:  # a database write: on a worker thread, not the caller's event loop
            await asyncio.to_thread(import_transcript, self.app.store(), transcript, self.owner)
        return transcript, report

    def delete(self, session_id: str, scope: Scope | None = None) -> str:
        """Delete one session of the owner's (or of the scope's); its full id."""
        full = self.resolve(session_id, scope)
        self.app.history.delete(full)
        return full

    def delete_all(self, scope: Scope | None = None) -> int:
        """Delete every session and review state of the owner (or of the scope)."""
        return self.app.history.delete_all(scope or self.owner)


def resume_saved(app: App, session_id: str, grader: GraderChoice | None = None) -> Session:
    """A saved unfinished session (by its full id) rebuilt, saved on for the owner it belongs to. Only the
    terminal names a session across owners (`--resume ID` with `--all-owners`); pages resume their own."""
    history = app.store()
    transcript = history.transcript(session_id)
    if transcript.finished_at is not None:
        raise InterviewerError(f"session {session_id[:8]} is finished: nothing to resume")
    questions = history.questions(session_id)
    choice = grader or app.default_grader()
    # Saved on for the owner it belongs to, whoever resumes it.
    return Session.restore(
        questions, transcript, graders_for(choice, questions), app.recorder(history.owner_of(session_id))
    )


def graders_for(choice: GraderChoice, questions: Sequence[Question]) -> Graders:
    """A session's grader, follow-up writer and policy, and offline grader, all knowing its banks' subjects."""
    offline = OfflineGrader().knowing(questions)
    return Graders(knowing(choice.grader, questions), offline, choice.followups, CoveragePolicy(offline))
