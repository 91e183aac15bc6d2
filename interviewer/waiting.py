"""A grading the candidate may stop waiting for: the grader races a "stop waiting" signal, and on the signal
the pending call is dropped and the answer is graded offline at once."""

from __future__ import annotations

import asyncio
import time

from .grading.base import Grader
from .grading.models import Grade, GradeRequest
from .grading.offline import OfflineGrader
from .tokens import Usage


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
