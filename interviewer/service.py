"""The application core: everything the terminal and the web app do, for one explicit owner.

Front ends only translate between their medium and this class: grader choice, planning, starting and
resuming sessions, the actions inside one, and the owner's history (stats, import, export, delete),
review order included. With no store (history off), sessions still run and reads are empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from . import anki, review
from . import bank as bank_mod
from .anki import CardNote
from .bank import Question
from .config import Settings, browser_llm_allowed, hosted
from .errors import ConfigError, InterviewerError
from .grading.base import CoveragePolicy
from .grading.factory import GraderChoice, choose_grader, knowing
from .grading.offline import OfflineGrader
from .llm import check_base_url
from .netguard import Allowed, refusal
from .owner import ALL_OWNERS, Owner, Scope
from .planning import plan_questions
from .recorder import Recorder, import_transcript
from .regrade import RegradeReport, regrade
from .rows import ProgressPoint, QuestionStat, SessionRow
from .session import AnswerEvent, Session, SessionSettings, Step
from .store import Store
from .transcript import Summary, Transcript


class Interviewer:
    def __init__(
        self, store: Store | None, settings: Settings, owner: Owner, default_grader: GraderChoice | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner
        self._default_grader = default_grader

    def for_owner(self, owner: Owner) -> Interviewer:
        """The same core (store, settings, grader) for another owner, e.g. each browser of the web app."""
        return Interviewer(self.store, self.settings, owner, self.default_grader())

    # -- grader ----------------------------------------------------------------------------------

    def default_grader(self) -> GraderChoice:
        """The grader the settings ask for (chosen once)."""
        if self._default_grader is None:
            self._default_grader = choose_grader(self.settings)
        return self._default_grader

    def grader_for(self, base_url: str = "", model: str = "", api_key: str = "") -> GraderChoice:
        """The server's grader, or one built from LLM settings a browser typed in (kept in memory only)."""
        url, model, key = (base_url or "").strip(), (model or "").strip(), (api_key or "").strip()
        if not (url or model or key):
            return self.default_grader()
        if not browser_llm_allowed(self.settings):
            raise ConfigError("this app does not take LLM settings from the browser (INTERVIEWER_BROWSER_LLM_SETTINGS)")
        if url and (problem := check_base_url(url)):
            raise ConfigError(f"the base URL is not usable: {problem}")
        allowed = None
        if url and hosted(self.settings):  # serving others: no requests to internal hosts, now or later
            if problem := refusal(url, self.settings.llm_url_allow.split(",")):
                raise ConfigError(f"the base URL is refused: {problem}")
            allowed = Allowed(self.settings.llm_url_allow.split(","))
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

    # -- planning and starting -------------------------------------------------------------------

    def session_settings(
        self,
        *,
        count: int = 5,
        order: str = "in-order",
        mode: str = "practice",
        followups: bool | int | None = None,
        seed: int | None = None,
        banks: Sequence[str] = (),
    ) -> SessionSettings:
        """Settings of a new session (validated: an unknown order or mode is refused). `followups`: None = the
        configured number, True = at least one, False = none."""
        if followups is None:
            allowed = self.settings.followups
        elif isinstance(followups, bool):
            allowed = max(1, self.settings.followups) if followups else 0
        else:
            allowed = followups
        return SessionSettings.model_validate(
            {"count": count, "order": order, "mode": mode, "followups": allowed, "seed": seed, "banks": list(banks)}
        )

    def load_questions(self, paths: Sequence[str | Path]) -> list[Question]:
        return list(bank_mod.all_questions(bank_mod.load_banks(paths)))

    def plan(self, questions: Sequence[Question], settings: SessionSettings) -> list[Question]:
        """The session's questions in the order asked (weakest/due first from the owner's history)."""
        rank = review.ranker(self.review_states(), settings.order, datetime.now(UTC))
        return plan_questions(questions, settings, rank=rank)

    def start(
        self, questions: Sequence[Question], settings: SessionSettings, grader: GraderChoice | None = None
    ) -> Session:
        """Plan and start a session, saved as it goes."""
        choice = grader or self.default_grader()
        return Session.start(
            self.plan(questions, settings),
            settings,
            **_graders(choice, questions),
            on_event=Recorder(self.store, self.owner) if self.store else None,
        )

    def unfinished(self) -> list[SessionRow]:
        """The owner's unfinished sessions, newest first."""
        return [s for s in self.sessions() if s.finished_at is None]

    def resume(
        self, session_id: str | None = None, grader: GraderChoice | None = None, any_owner: bool = False
    ) -> Session:
        """An unfinished session rebuilt from the history (call `settle` next): the owner's latest one, or
        the one named (by a unique id prefix; `any_owner` lets the terminal name a browser's session)."""
        store = self._require_store()
        if session_id is None:
            unfinished = self.unfinished()
            if not unfinished:
                raise InterviewerError("no unfinished session to resume")
            session_id = unfinished[0].id
        else:
            session_id = store.resolve(session_id, ALL_OWNERS if any_owner else self.owner)
        transcript = store.transcript(session_id)
        if transcript.finished_at is not None:
            raise InterviewerError(f"session {session_id[:8]} is finished: nothing to resume")
        choice = grader or self.default_grader()
        questions = store.questions(session_id)
        return Session.restore(
            questions,
            transcript,
            **_graders(choice, questions),
            on_event=Recorder(store, store.owner_of(session_id)),  # saved on for the owner it belongs to
        )

    # -- inside a session ------------------------------------------------------------------------

    async def settle(self, session: Session) -> Step | None:
        return await session.settle()

    def answer_stream(self, session: Session, text: str) -> AsyncIterator[AnswerEvent]:
        return session.answer_stream(text)

    async def answer(self, session: Session, text: str) -> Step:
        return await session.answer(text)

    def hint(self, session: Session, draft: str = "") -> str:
        return session.hint(draft)

    def retry(self, session: Session) -> str:
        """Answer the question just graded again (practice mode): a new attempt, asked now."""
        return session.retry()

    def skip(self, session: Session) -> Step:
        return session.skip()

    def grade_offline_now(self, session: Session) -> None:
        """Stop waiting for a slow LLM: the answer being graded is graded offline at once."""
        session.grade_offline_now()

    async def end(self, session: Session) -> Summary:
        """End now, grading an answer still waiting for its grade."""
        return await session.finish()

    def transcript(self, session: Session) -> Transcript:
        return session.transcript()

    @staticmethod
    def history_problem(session: Session) -> str | None:
        """Why this session's history is not being saved right now (None: it is); retried at every event."""
        recorder = session.on_event
        return recorder.problem if isinstance(recorder, Recorder) else None

    # -- history ---------------------------------------------------------------------------------

    def sessions(self, scope: Scope | None = None) -> list[SessionRow]:
        return self.store.sessions(scope or self.owner) if self.store else []

    def resolve(self, session_id: str, scope: Scope | None = None) -> str:
        """The full id of a saved session of the owner's (or of the scope's), from an id or a unique prefix."""
        return self._require_store().resolve(session_id, scope or self.owner)

    def saved_transcript(self, session_id: str, scope: Scope | None = None) -> Transcript:
        """A saved session of the owner's (or of the scope's), by id or a unique prefix of one."""
        return self._require_store().transcript(self.resolve(session_id, scope))

    def question_stats(self) -> list[QuestionStat]:
        return self.store.question_stats(self.owner) if self.store else []

    def progress(self) -> list[ProgressPoint]:
        return self.store.progress(self.owner) if self.store else []

    def review_states(self) -> dict[str, review.ReviewState]:
        return self.store.review_states(self.owner) if self.store else {}

    def due_count(self, questions: Sequence[Question]) -> int:
        return review.count_due(list(questions), self.review_states(), datetime.now(UTC))

    def import_transcript(self, transcript: Transcript) -> None:
        import_transcript(self._require_store(), transcript, self.owner)

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
        if self.store is not None:
            import_transcript(self.store, transcript, self.owner)
        return transcript, report

    def delete(self, session_id: str, scope: Scope | None = None) -> str:
        """Delete one session of the owner's (or of the scope's); its full id."""
        full = self.resolve(session_id, scope)
        self._require_store().delete(full)
        return full

    def delete_all(self, scope: Scope | None = None) -> int:
        """Delete every session and review state of the owner (or of the scope)."""
        return self.store.delete_all(scope or self.owner) if self.store else 0

    def _require_store(self) -> Store:
        if self.store is None:
            raise InterviewerError("history is off: the data folder cannot be used")
        return self.store


def _graders(choice: GraderChoice, questions: Sequence[Question]) -> dict[str, object]:
    """A session's grader, follow-up writer and policy, and offline grader, all knowing its banks' subjects."""
    offline = OfflineGrader().knowing(questions)
    return {
        "grader": knowing(choice.grader, questions),
        "followup_writer": choice.followups,
        "followup_policy": CoveragePolicy(offline),
        "offline": offline,
    }
