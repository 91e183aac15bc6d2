"""The transcript contract: a whole session as data, its JSON form (re-importable), and its summary.

Rendering (Markdown, printable HTML, file names) lives in interviewer/presentation.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .grading.models import FollowUp, Grade, Hint
from .tokens import Usage

SCHEMA: Literal["interviewer.transcript/1"] = "interviewer.transcript/1"
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
"""An overall, 0-100: finite, so that every export is valid JSON."""


class TurnRecord(BaseModel):
    question_id: str
    question: str
    reference: str
    kind: Literal["technical", "experience"]
    attempt: int = Field(1, ge=1)
    """1, or 2, 3, ... for the candidate's further tries at the same question (issue 13: Try again)."""
    answer: str | None = None
    """Exactly what the candidate typed, never trimmed or cut."""
    draft: str | None = None
    """Typed but not sent (to the question, or to its follow-up when one is asked): autosaved as it is typed,
    kept when the candidate ends or leaves, offered again on resume. Never graded."""
    followups: list[FollowUp] = []
    hints: list[Hint] = []
    skipped: bool = False
    grade: Grade | None = None
    asked_at: datetime | None = None
    answered_at: datetime | None = None

    @property
    def again(self) -> str:
        """` (attempt 2)` for a further attempt, as questions are named everywhere; "" for a first one."""
        return f" (attempt {self.attempt})" if self.attempt > 1 else ""

    @property
    def done(self) -> bool:
        """Answered and graded, or skipped: the turn needs nothing more."""
        return self.skipped or self.grade is not None

    @field_validator("hints", mode="before")
    @classmethod
    def _hints_before_the_ladder(cls, hints: Any) -> Any:
        """Transcripts from before the hint ladder held each hint as a key point's text, revealed for free."""
        if isinstance(hints, list):
            return [{"level": 3, "text": h, "cost": 0, "point": h} if isinstance(h, str) else h for h in hints]
        return hints


class QuestionScore(BaseModel):
    question_id: str
    question: str
    overall: Score
    attempts: int = 1


class Summary(BaseModel):
    total: int
    """Questions asked."""
    answered: int
    skipped: int
    overall: Score | None
    """Average over asked questions; a skipped question counts as 0."""
    criteria: dict[str, Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)]]
    """Average score (out of 5) of each criterion over the graded answers."""
    strongest: list[QuestionScore]
    weakest: list[QuestionScore]
    study: list[str]
    """What to study: key points missed in the weakest answers."""
    hints: int = 0
    """Hints taken over the graded answers, and the points they cost in all (already off each overall)."""
    hint_points: float = Field(0, ge=0, allow_inf_nan=False)
    recovered: int = 0
    """Key points first covered after a follow-up question, over the graded answers."""
    retries: int = 0
    """Further attempts at questions already answered (Try again); every figure above is of the last attempt."""
    unsent: int = 0
    """Answers (or follow-up answers) typed and never sent, kept as drafts when the interview ended."""


def last_attempts(turns: list[TurnRecord]) -> list[TurnRecord]:
    """Each question's last answered or skipped attempt, in the order the questions were first asked."""
    latest: dict[str, TurnRecord] = {}
    for turn in turns:
        earlier = latest.get(turn.question_id)
        if turn.grade is not None or (turn.skipped and (earlier is None or earlier.grade is None)):
            latest[turn.question_id] = turn  # a skipped retry does not undo the answer before it
    return list(latest.values())


def summarise(turns: list[TurnRecord]) -> Summary:
    """Overall and per-criterion averages, strongest and weakest questions, and what to study."""
    asked = last_attempts(turns)
    scores = [0.0 if t.grade is None else t.grade.overall for t in asked]
    criteria: dict[str, list[float]] = {}
    for turn in asked:
        for c in turn.grade.criteria if turn.grade else []:
            criteria.setdefault(c.name, []).append(c.score)
    # Only answers are ranked and studied from: a skipped question has no score to rank, and its points
    # were never tried (it is listed as skipped instead).
    graded = {t.question_id: t.grade for t in asked if t.grade is not None}
    ranked = sorted(
        (
            QuestionScore(question_id=t.question_id, question=t.question, overall=t.grade.overall, attempts=t.attempt)
            for t in asked
            if t.grade is not None
        ),
        key=lambda q: q.overall,
    )
    n_weak = min(3, (len(ranked) + 1) // 2)
    weakest = ranked[:n_weak]
    strongest = list(reversed(ranked[n_weak:]))[:3]
    study: list[str] = []
    for q in weakest:
        study += [p for p in graded[q.question_id].missed[:3] if p not in study]
    return Summary(
        total=len({t.question_id for t in turns}),
        answered=sum(t.grade is not None for t in asked),
        skipped=sum(t.skipped for t in asked),
        overall=round(sum(scores) / len(scores), 1) if scores else None,
        criteria={k: round(sum(v) / len(v), 2) for k, v in criteria.items()},
        strongest=strongest,
        weakest=weakest,
        study=study,
        hints=sum(len(t.grade.penalties) for t in asked if t.grade),
        hint_points=sum(p.points for t in asked if t.grade for p in t.grade.penalties),
        recovered=sum(len(t.grade.recovered) for t in asked if t.grade),
        retries=sum(t.attempt > 1 for t in turns if t.done),
        unsent=sum(bool(t.draft) for t in turns),
    )


class Transcript(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["interviewer.transcript/1"] = Field(SCHEMA, alias="schema")
    session_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")
    """Letters, digits, - and _: 8 to 64 of them (the app writes 32 hex digits)."""
    started_at: datetime
    finished_at: datetime | None = None
    settings: dict[str, Any] = {}
    grader: str
    turns: list[TurnRecord] = []
    summary: Summary | None = None
    usage: Usage = Usage()
    regrade_of: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")
    """The session this transcript re-grades with another grader (`interviewer regrade`), if it is one."""

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        return cls.model_validate_json(text)
