"""What one person may spend of the host's LLM: calls per minute, per owner (a sliding window, bounded memory).

A hosted app pays for its LLM; without a budget one logged-in user could draft, re-grade and retry without
end. Over budget, grading falls back offline (and says why), drafting and re-grading are refused with a line
that says when to try again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .grading.factory import GraderChoice
from .grading.models import Grade, GradeRequest
from .owner import Owner
from .recent import RecentEvents
from .tokens import Usage

if TYPE_CHECKING:  # imported when an LLM is used only (it brings the SDK)
    from .grading.llm_grader import LLMGrader

OWNERS_KEPT = 10_000
"""Owners remembered at most (the least recently seen are forgotten first)."""


class LLMBudget:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._calls = RecentEvents(60.0, OWNERS_KEPT)

    def take(self, owner: Owner) -> str | None:
        """Count one call of `owner`'s; None when it is within the budget, else why not (nothing counted)."""
        now = self._clock()
        calls = self._calls.recent(owner.key, now)
        if len(calls) >= self.per_minute:
            wait = max(1, round(calls[0] + 60 - now))
            return (f"you have used the host's LLM {len(calls)} times in the last minute, the most allowed "
                    f"(INTERVIEWER_LLM_PER_MINUTE); try again in {wait} s")  # fmt: skip
        calls.append(now)
        return None


class Budgeted:
    """A grader on the host's LLM whose calls count against one owner's budget: over it, the answer is graded
    offline by the grader's own offline reading, and the grade says why."""

    def __init__(self, inner: LLMGrader, budget: LLMBudget, owner: Owner) -> None:
        self.inner, self.budget, self.owner = inner, budget, owner

    @property
    def name(self) -> str:
        return self.inner.name

    async def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade:
        if (over := self.budget.take(self.owner)) is None:
            return await self.inner.grade(request, usage)
        graded = await self.inner.offline.grade(request)
        return graded.model_copy(update={"fallback_reason": over})


def within_budget(choice: GraderChoice, server: GraderChoice, budget: LLMBudget, owner: Owner) -> GraderChoice:
    """`choice`, its grader counted against `owner`'s budget when it is the server's own LLM (LLM settings a
    visitor typed spend the visitor's own key: not counted)."""
    from .grading.llm_grader import LLMGrader

    if choice.grader is server.grader and isinstance(choice.grader, LLMGrader):
        return replace(choice, grader=Budgeted(choice.grader, budget, owner))
    return choice
