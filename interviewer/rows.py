"""What a history read returns: a row per session, per question, and per point of progress."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SessionRow(BaseModel):
    id: str
    started_at: datetime
    finished_at: datetime | None
    banks: list[str]
    total: int
    answered: int
    overall: float | None
    grader: str
    regrade_of: str | None = None
    """The session this one re-grades with another grader (None: a session the candidate practised)."""


class QuestionStat(BaseModel):
    question_id: str
    question: str
    attempts: int
    last_score: float | None
    best_score: float | None
    trend: float | None
    """Last score minus the one before it (None with fewer than two graded attempts)."""


class ProgressPoint(BaseModel):
    session_id: str
    started_at: datetime
    overall: float
    grader: str = "offline"
    """The session's grader: `offline` scores are key-point coverage."""
    criteria: dict[str, float]
