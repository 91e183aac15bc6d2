"""The interview engine: plan, ask, take answers, follow up, grade, summarise. No UI in here.

The terminal and the web app are thin adapters over `Session` (through the application core in
`service.py`). A session is made by `Session.start` (which asks the first question) or rebuilt by
`Session.restore`; every change is reported to an optional `on_event` hook (autosave), and the whole
session exports as a `Transcript`. Graders are async; the follow-up policy and writer are injected.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from .bank import Question
from .errors import GraderError, InterviewerError
from .grading.base import CoveragePolicy, FollowUpPlan, FollowUpPolicy, FollowUpWriter, Grader, TemplateFollowUps
from .grading.models import FollowUp, Grade, GradeRequest
from .grading.offline import OfflineGrader
from .hints import LEVELS, NO_MORE, apply_hints, cost_note, describe, next_hint
from .rubric import load_rubric
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord, summarise
from .unicode import scrub

log = logging.getLogger(__name__)

Order = Literal["in-order", "shuffle", "weakest", "due"]
Mode = Literal["practice", "mock"]


MOST_QUESTIONS = 500
"""The most questions one session takes."""


class SessionSettings(BaseModel):
    count: int = Field(5, ge=1, le=MOST_QUESTIONS)
    order: Order = "in-order"
    seed: int | None = None
    mode: Mode = "practice"
    followups: int = Field(1, ge=0, le=2)
    """Follow-up questions allowed per question (0 turns them off)."""
    attempts: int = Field(5, ge=1, le=50)
    """Attempts at one question (the first and each Try again)."""
    banks: list[str] = []


class Step(BaseModel):
    """What the interviewer says after an action."""

    followup: str | None = None
    """A follow-up question to answer before moving on."""
    feedback: Grade | None = None
    """The grade of the turn just finished (practice mode only)."""
    fallback_reason: str | None = None
    """Why the turn just graded was graded offline although an LLM grader was chosen (both modes)."""
    followup_fallback_reason: str | None = None
    """Why the follow-up asked is the offline one although an LLM writes them."""
    skipped: bool = False
    """The action was a skip (nothing to thank the candidate for)."""
    no_followup: str | None = None
    """Why no follow-up was asked about the answer just graded (None: one was, or they are off or spent)."""
    next_question: str | None = None
    finished: bool = False
    summary: Summary | None = None


@dataclass(frozen=True)
class FollowUpPiece:
    """A piece of a follow-up question, as it is written."""

    text: str


@dataclass(frozen=True)
class StepTaken:
    """The end of an action: what comes next."""

    step: Step


AnswerEvent = FollowUpPiece | StepTaken


class EventKind(StrEnum):
    """What changed in a session (the persistence hook saves each)."""

    STARTED = "started"
    ASKED = "asked"
    HINT = "hint"
    ANSWERED = "answered"
    FOLLOWUP = "followup"
    GRADED = "graded"
    SKIPPED = "skipped"
    DRAFTED = "drafted"
    FINISHED = "finished"


@dataclass
class SessionEvent:
    """One change of a session, for the persistence hook."""

    kind: EventKind
    session: Session
    turn_index: int | None = None


EventHook = Callable[[SessionEvent], None]


@runtime_checkable
class Saving(Protocol):
    """An event hook that saves the session, perhaps on another thread, and can say why it is behind
    (`recorder.Recorder`)."""

    @property
    def problem(self) -> str | None: ...

    def __call__(self, event: SessionEvent) -> None: ...

    def flush(self) -> None: ...

    async def saved(self) -> None: ...


@dataclass(frozen=True)
class Refused:
    """An action the session does not take now, and why (said to the candidate as it is)."""

    reason: str


@dataclass(frozen=True)
class Graders:
    """What grades a session's answers and writes its follow-ups."""

    grader: Grader = field(default_factory=OfflineGrader)
    offline: OfflineGrader = field(default_factory=OfflineGrader)
    """Grades at once when the candidate stops waiting for `grader`."""
    followup_writer: FollowUpWriter = field(default_factory=TemplateFollowUps)
    followup_policy: FollowUpPolicy = field(default_factory=CoveragePolicy)


class PatientGrading:
    """One grading at a time (a session's); `stop_waiting` ends the wait for the one in progress."""

    def __init__(self) -> None:
        self._stop: asyncio.Event | None = None  # made per grading, in the loop that grades
        self._since: float | None = None

    def stop_waiting(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def waited(self) -> float:
        """Seconds the grading in progress has taken so far (0 when nothing is being graded)."""
        return 0.0 if self._since is None else time.monotonic() - self._since

    async def grade(self, grader: Grader, offline: OfflineGrader, request: GradeRequest, usage: Usage) -> Grade:
        self._stop = asyncio.Event()
        self._since = time.monotonic()
        grading = asyncio.ensure_future(grader.grade(request, usage))
        asked = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({grading, asked}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled (a closed page): no LLM call left running behind it
            grading.cancel()
            raise
        finally:
            asked.cancel()
            self._since = None
        if grading.done():
            return grading.result()
        grading.cancel()  # the pending LLM call is dropped
        graded = await offline.grade(request)
        return graded.model_copy(update={"fallback_reason": "you chose not to wait for the LLM"})


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Session:
    questions: list[Question]
    settings: SessionSettings
    graders: Graders = field(default_factory=Graders)
    on_event: EventHook | None = None
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    _grading: PatientGrading = field(default_factory=PatientGrading, repr=False)
    _spent_from: dict[int, Usage] = field(default_factory=dict, repr=False)
    """Per turn index, the session's usage when its answer came: what that answer spent is counted from it."""

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a session needs at least one question")

    @classmethod
    def start(
        cls,
        questions: list[Question],
        settings: SessionSettings,
        graders: Graders | None = None,
        on_event: EventHook | None = None,
    ) -> Session:
        """A new session: reports "started" and asks the first question."""
        session = cls(questions, settings, graders or Graders(), on_event)
        session._emit(EventKind.STARTED)
        session._ask(0)
        return session

    @classmethod
    def restore(
        cls,
        questions: list[Question],
        transcript: Transcript,
        graders: Graders | None = None,
        on_event: EventHook | None = None,
    ) -> Session:
        """A saved session rebuilt as it was; call `settle()` next."""
        session = cls(
            questions=questions,
            settings=SessionSettings.model_validate(transcript.settings),
            graders=graders or Graders(),
            on_event=on_event,
            session_id=transcript.session_id,
            started_at=transcript.started_at,
            finished_at=transcript.finished_at,
            turns=list(transcript.turns),
            usage=transcript.usage.model_copy(),
        )
        if not session.turns and not session.finished:  # saved before its first question was asked
            session._ask(0)
        return session

    # -- state -----------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def index(self) -> int:
        """0-based index of the current question (a retried question is still one question)."""
        return sum(t.attempt == 1 for t in self.turns) - 1

    @property
    def turn_index(self) -> int:
        """0-based index of the current turn (each attempt at a question is a turn)."""
        return len(self.turns) - 1

    @property
    def grader(self) -> Grader:
        return self.graders.grader

    @property
    def current(self) -> TurnRecord | None:
        return None if self.finished or not self.turns else self.turns[-1]

    @property
    def awaiting_followup(self) -> bool:
        turn = self.current
        return bool(turn and turn.followups and turn.followups[-1].answer is None)

    def history_problem(self) -> str | None:
        """Why this session is not being saved right now (None: it is, or nothing saves it), once the writes
        asked for so far are made (an event loop awaits `saved()` first)."""
        if not isinstance(self.on_event, Saving):
            return None
        self.on_event.flush()
        return self.on_event.problem

    async def saved(self) -> None:
        """Wait, without blocking, until the history holds every change so far."""
        if isinstance(self.on_event, Saving):
            await self.on_event.saved()

    def question_message(self) -> str:
        """The current question as the interviewer asks it (the bank's text, verbatim)."""
        turn = self.current
        if turn is None:
            return ""
        return f"{self.position()}: {turn.question}"

    def position(self) -> str:
        """`Question 2 of 3`, and `(attempt 2)` for a further attempt."""
        turn = self.current
        return f"Question {self.index + 1} of {self.total}{turn.again if turn else ''}"

    # -- actions ---------------------------------------------------------------------------------

    def hint(self, draft: str = "") -> str | Refused:
        """The next rung of the hint ladder for what the draft still misses, with its cost (recorded in the
        transcript and taken off this question's overall after grading)."""
        turn = self._require_turn()
        hint = next_hint(self.questions[self.index], draft, turn.hints, self.hint_costs())
        if hint is None or isinstance(hint, str):
            return Refused(hint or NO_MORE)
        turn.hints.append(hint)
        self._emit(EventKind.HINT, self.turn_index)
        return f"{describe(hint)}\n{cost_note(self.next_hint_cost())}"

    def next_hint_cost(self) -> float | None:
        """What the next hint on the current question costs (None: no hint left, or no question)."""
        turn = self.current
        if turn is None or len(turn.hints) >= len(LEVELS):
            return None
        return float(self.hint_costs()[len(turn.hints)])

    def hint_costs(self) -> list[float]:
        """The points the 1st, 2nd and 3rd hint on the current question cost (its rubric's `hint_costs`)."""
        return load_rubric(self.questions[self.index].kind).hint_costs

    def can_retry(self) -> bool:
        """Practice mode, right after a graded answer: the next question is asked but not touched yet, or the
        graded answer was the last one (the session reopens for the new attempt)."""
        if self.settings.mode != "practice" or not self.turns:
            return False
        if self.finished:  # only after the last question: an interview ended early stays ended
            return self.turns[-1].grade is not None and self.index + 1 == self.total
        if len(self.turns) < 2:
            return False
        before, turn = self.turns[-2], self.turns[-1]
        untouched = turn.answer is None and not turn.skipped and not turn.hints and not turn.followups
        return untouched and not turn.draft and before.grade is not None and before.question_id != turn.question_id

    def retry(self) -> str | Refused:
        """Answer the question just graded again: a new attempt (a new turn, `attempt` + 1) is asked now, and
        the question that was next comes after it. Returns the question as asked."""
        if not self.can_retry():
            if self.settings.mode != "practice":
                return Refused("Mock mode has no retries: practise your weakest questions after the summary.")
            if self.turns and self.turns[-1].draft and not self.finished:
                return Refused(
                    "You have started answering the next question: send your answer (or clear it) first, "
                    "then try the earlier one again from the summary's weakest questions."
                )
            return Refused("Nothing to try again right now: answer the question, then try it again after its feedback.")
        graded = self.turns[-1] if self.finished else self.turns[-2]
        if graded.attempt >= self.settings.attempts:
            return Refused(f"That was attempt {graded.attempt} at this question, the most per interview: move on, "
                           "and practise it again in a later session.")  # fmt: skip
        attempt = graded.model_copy(
            update={"attempt": graded.attempt + 1, "answer": None, "followups": [], "hints": [], "grade": None,
                    "skipped": False, "asked_at": _now(), "answered_at": None}, deep=True
        )  # fmt: skip
        if self.finished:  # the last question: the session goes on for one more attempt
            self.finished_at = None
            self.turns.append(attempt)
        else:  # the question that was next is asked again after this attempt
            self.turns[-1] = attempt
        self._emit(EventKind.ASKED, self.turn_index)
        return self.question_message()

    def repeat(self) -> str:
        turn = self._require_turn()
        if self.awaiting_followup:
            return turn.followups[-1].question
        return self.question_message()

    @property
    def draft(self) -> str:
        """What was typed and not sent for the question (or follow-up) asked now: "" when nothing was."""
        turn = self.current
        return "" if self.finished or turn is None or turn.done else turn.draft or ""

    def keep_draft(self, text: str) -> None:
        """Keep what is typed but not sent (autosave); an empty text clears the draft."""
        turn = self.current
        if self.finished or turn is None or turn.done:
            return
        kept = scrub(text)[0] if text.strip() else None
        if kept != turn.draft:
            turn.draft = kept
            self._emit(EventKind.DRAFTED, self.turn_index)

    def skip(self) -> Step:
        turn = self._require_turn()
        turn.skipped = True
        turn.answered_at = _now()
        self._emit(EventKind.SKIPPED, self.turn_index)
        return self._advance(Step(skipped=True))

    async def answer(self, text: str) -> Step:
        """Take an answer (or the answer to a follow-up); returns what comes next."""
        step = Step()
        async for event in self.answer_stream(text):
            if isinstance(event, StepTaken):
                step = event.step
        return step

    async def answer_stream(self, text: str) -> AsyncIterator[AnswerEvent]:
        """Like `answer`, but yields a follow-up question piece by piece as it is written, then the step."""
        turn = self._require_turn()
        text, _ = scrub(text)  # front ends say so; what cannot be stored as UTF-8 must not reach the history
        if self.awaiting_followup:
            turn.followups[-1].answer = text
        else:
            turn.answer = text
        turn.draft = None  # sent
        turn.answered_at = _now()
        self._spent_from.setdefault(self.turn_index, self.usage.model_copy())
        self._emit(EventKind.ANSWERED, self.turn_index)

        request = self._request(turn)
        plan = self._plan_followup(request, turn)
        missed = plan.points
        if missed:
            shown: list[str] = []  # exactly what the candidate saw, which is what the transcript records
            failed: str | None = None
            try:
                async for piece in self.graders.followup_writer.write(request, missed, self.usage):
                    shown.append(piece)
                    yield FollowUpPiece(piece)
            except (GraderError, TimeoutError) as exc:  # the writer failed: the template finishes the question
                log.warning("follow-up writer failed (%s); asking a template follow-up", exc)
                failed = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            if failed or not "".join(shown).strip():
                template = "".join([p async for p in TemplateFollowUps().write(request, missed)])
                extra = f" …\n\n{template}" if "".join(shown).strip() else template
                shown.append(extra)
                yield FollowUpPiece(extra)
            turn.followups.append(FollowUp(question="".join(shown)))
            self._emit(EventKind.FOLLOWUP, self.turn_index)
            yield StepTaken(Step(followup=turn.followups[-1].question, followup_fallback_reason=failed))
            return

        step = await self._grade_and_advance(turn, request)
        yield StepTaken(step.model_copy(update={"no_followup": plan.why_not}))

    async def settle(self) -> Step | None:
        """After a restore from history: grade an answer saved before its grade, or ask the next question."""
        turn = self.current
        if turn is None:
            return None
        if turn.answer is not None and turn.grade is None and not turn.skipped and not self.awaiting_followup:
            return await self._grade_and_advance(turn, self._request(turn))
        if turn.done:
            return self._advance(Step())
        return None

    async def finish(self) -> Summary:
        """End now, first grading an answer that is still waiting for its grade (e.g. behind a follow-up)."""
        turn = self.current
        if turn is not None and turn.answer is not None and turn.grade is None and not turn.skipped:
            turn.grade = await self._grade(self._request(turn))
            self._emit(EventKind.GRADED, self.turn_index)
        return self.end()

    def end(self) -> Summary:
        """Finish now; questions not yet asked are left out of the transcript (see `finish` to grade first)."""
        if not self.finished:
            turn = self.current
            if turn and turn.answer is None and not turn.skipped and not turn.draft:
                self.turns.pop()  # asked but nothing typed: not part of the interview
            self.finished_at = _now()
            self._emit(EventKind.FINISHED)
        return self.summary()

    # -- results ---------------------------------------------------------------------------------

    def summary(self) -> Summary:
        return summarise(self.turns)

    def transcript(self) -> Transcript:
        return Transcript(
            session_id=self.session_id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            settings=self.settings.model_dump(mode="json"),
            grader=self.grader.name,
            turns=[turn.model_copy(deep=True) for turn in self.turns],
            summary=self.summary() if self.turns else None,
            usage=self.usage.model_copy(),
        )

    # -- internals -------------------------------------------------------------------------------

    def _require_turn(self) -> TurnRecord:
        if self.current is None:
            raise SessionOver("the session has ended")
        return self.current

    def _request(self, turn: TurnRecord) -> GradeRequest:
        question = self.questions[self.index]
        return GradeRequest(
            question=question.text,
            reference=question.reference,
            answer=turn.answer or "",
            kind=question.kind,
            key_points=question.key_points,
            followups=turn.followups,
            hints=turn.hints,
        )

    async def _grade_and_advance(self, turn: TurnRecord, request: GradeRequest) -> Step:
        grade = await self._grade(request)
        turn.grade = grade
        self._emit(EventKind.GRADED, self.turn_index)
        feedback = grade if self.settings.mode == "practice" else None
        return self._advance(Step(feedback=feedback, fallback_reason=grade.fallback_reason))

    def _ask(self, index: int) -> None:
        q = self.questions[index]
        self.turns.append(
            TurnRecord(question_id=q.id, question=q.text, reference=q.reference, kind=q.kind, asked_at=_now())
        )
        self._emit(EventKind.ASKED, self.turn_index)

    def _advance(self, step: Step) -> Step:
        if self.index + 1 < self.total:
            self._ask(self.index + 1)
            step.next_question = self.question_message()
            return step
        step.summary = self.end()
        step.finished = True
        return step

    def _plan_followup(self, request: GradeRequest, turn: TurnRecord) -> FollowUpPlan:
        """Missed key points worth a follow-up (the policy's choice), or why none is asked; none, and nothing
        to say, when follow-ups are off or this question's are all asked."""
        if len(turn.followups) >= self.settings.followups:
            return FollowUpPlan()
        return self.graders.followup_policy.plan(request)

    def grade_offline_now(self) -> None:
        """Stop waiting for the grader (an LLM taking long): the answer being graded is graded offline at once."""
        self._grading.stop_waiting()

    def waiting_for_grade(self) -> float:
        """Seconds the grading in progress has taken so far (0 when nothing is being graded)."""
        return self._grading.waited()

    async def _grade(self, request: GradeRequest) -> Grade:
        """The grader's grade (unless the candidate stops waiting for it), less the hints' costs."""
        graders = self.graders
        before = self._spent_from.pop(self.turn_index, self.usage.model_copy())
        grade = await self._grading.grade(graders.grader, graders.offline, request, self.usage)
        return apply_hints(grade.model_copy(update={"usage": self.usage.since(before)}), request.hints)

    def _emit(self, kind: EventKind, turn_index: int | None = None) -> None:
        if self.on_event is not None:
            self.on_event(SessionEvent(kind, self, turn_index))


class SessionOver(InterviewerError):
    """An action on a session that has ended."""
