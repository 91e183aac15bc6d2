"""Which questions a session asks, and in what order."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from .bank import Question
from .session import SessionSettings

Ranker = Callable[[list[Question]], list[Question]]


def plan_questions(
    questions: Sequence[Question], settings: SessionSettings, rank: Ranker | None = None
) -> list[Question]:
    """Choose the session's questions: in order, shuffled with the seed, or ranked (weakest/due) by history."""
    pool = list(questions)
    if settings.order == "shuffle":
        random.Random(settings.seed).shuffle(pool)
    elif settings.order in ("weakest", "due") and rank is not None:
        pool = rank(pool)
    return pool[: settings.count]
