"""Spaced review of questions with FSRS (the maintained `fsrs` package), fed by rubric scores.

A graded answer becomes a recall rating by its score band (weak or no credit = Again, partial = Hard,
good = Good, excellent = Easy; a skip = Again). Steps are a day long: interview questions are revisited over days,
not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fsrs import Card, Rating, Scheduler
from pydantic import BaseModel

from .bank import Question
from .grading.models import score_band

SCHEDULER = Scheduler(
    learning_steps=(timedelta(days=1),),
    relearning_steps=(timedelta(days=1),),
    enable_fuzzing=False,  # deterministic schedules: the same history always gives the same order
)


_RATING_OF_BAND = {"excellent": Rating.Easy, "good": Rating.Good, "partial": Rating.Hard}


def rating_for(overall: float | None) -> Rating:
    """The recall rating a score stands for (None = skipped): the score bands of `grading.models`."""
    if overall is None:
        return Rating.Again
    return _RATING_OF_BAND.get(score_band(overall), Rating.Again)


class ReviewState(BaseModel):
    """What the store keeps per question: its FSRS card and the latest score."""

    question_id: str
    card: dict[str, Any]
    """The FSRS card as `Card.to_dict()` gives it."""
    last_score: float | None = None
    best_score: float | None = None
    attempts: int = 0

    @property
    def due(self) -> datetime:
        return Card.from_dict(self.card).due  # type: ignore[arg-type]  # a CardDict, stored as JSON


def review(state: ReviewState | None, question_id: str, overall: float | None, when: datetime) -> ReviewState:
    """The state after one more graded (or skipped) attempt at `when`."""
    # card_id=0: the question id keys the card; without one, fsrs sleeps 1 ms to make a unique id.
    card = Card.from_dict(state.card) if state else Card(card_id=0, due=when)  # type: ignore[arg-type]
    card, _ = SCHEDULER.review_card(card, rating_for(overall), when)
    score = overall if overall is not None else 0.0
    best = score if state is None or state.best_score is None else max(state.best_score, score)
    return ReviewState(
        question_id=question_id,
        card=card.to_dict(),
        last_score=score,
        best_score=best,
        attempts=(state.attempts if state else 0) + 1,
    )


def order_weakest(questions: list[Question], states: dict[str, ReviewState]) -> list[Question]:
    """Lowest last score first; a question never answered sits in the middle (50)."""

    def key(q: Question) -> tuple[float, int]:
        s = states.get(q.id)
        return (s.last_score if s and s.last_score is not None else 50.0, 0)

    return sorted(questions, key=key)


def order_due(questions: list[Question], states: dict[str, ReviewState], now: datetime) -> list[Question]:
    """Questions due now (new ones count as due), weakest first; then the rest, soonest due first."""

    def is_due(q: Question) -> bool:
        s = states.get(q.id)
        return s is None or s.due <= now

    due = order_weakest([q for q in questions if is_due(q)], states)
    later = sorted((q for q in questions if not is_due(q)), key=lambda q: states[q.id].due)
    return due + later


@dataclass(frozen=True)
class DueCount:
    due: int
    """Questions practised before whose review is due now."""
    seen: int
    """Questions practised before."""
    unseen: int
    """Questions never practised (the 'due for review' order takes them after the due ones)."""


def count_due(questions: list[Question], states: dict[str, ReviewState], now: datetime) -> DueCount:
    seen = [q for q in questions if q.id in states]
    return DueCount(sum(states[q.id].due <= now for q in seen), len(seen), len(questions) - len(seen))


def ranker(states: dict[str, ReviewState], order: str, now: datetime):  # -> Callable | None
    """The history-based ordering for order 'weakest' or 'due' (None for the others)."""
    if order == "weakest":
        return lambda qs: order_weakest(qs, states)
    if order == "due":
        return lambda qs: order_due(qs, states, now)
    return None
