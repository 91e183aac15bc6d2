"""`interviewer regrade`: every answer of a saved session graded again by another grader or model, as a new
transcript that names the one it re-grades, and how the two gradings compare.

Hints, follow-ups and attempts are kept; the hints' costs apply to the new grades as they did to the old.
An answer the new grader fails on keeps its old grade, flagged `not_regraded`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from .evaluate import spearman
from .grading.base import Grader
from .grading.models import NOT_REGRADED, GradeRequest
from .hints import apply_hints
from .tokens import Usage
from .transcript import Transcript, TurnRecord, summarise


class RegradeRow(BaseModel):
    number: int
    question: str
    attempt: int = 1
    old_score: float
    old_grader: str
    new_score: float
    new_grader: str
    difference: float
    regraded: bool
    """False: the new grader failed on this answer and its old grade is kept."""


class RegradeReport(BaseModel):
    regrade_of: str
    session_id: str
    old_grader: str
    new_grader: str
    rows: list[RegradeRow]
    spearman: float | None
    """Rank agreement of the two gradings over the answers re-graded (None with fewer than two)."""
    mean_abs_difference: float | None
    not_regraded: int


async def regrade(original: Transcript, grader: Grader) -> tuple[Transcript, RegradeReport]:
    """The original graded again by `grader` (the original is left as it is)."""
    usage = Usage()
    turns: list[TurnRecord] = []
    rows: list[RegradeRow] = []
    for turn in original.turns:
        if turn.grade is None or turn.answer is None:  # skipped or never graded: nothing to grade again
            turns.append(turn.model_copy(deep=True))
            continue
        request = GradeRequest(question=turn.question, reference=turn.reference, answer=turn.answer, kind=turn.kind,
                               followups=turn.followups, hints=turn.hints)  # fmt: skip
        new = await grader.grade(request, usage)
        regraded = new.grader == grader.name  # an LLM grader that failed answers with its offline fallback
        grade = apply_hints(new, turn.hints) if regraded else turn.grade.model_copy(
            update={"flags": [*turn.grade.flags, NOT_REGRADED]}
        )  # fmt: skip
        turns.append(turn.model_copy(update={"grade": grade}, deep=True))
        rows.append(RegradeRow(number=len({t.question_id for t in turns}), question=turn.question,
                               attempt=turn.attempt, old_score=turn.grade.overall, old_grader=turn.grade.grader,
                               new_score=grade.overall, new_grader=grade.grader,
                               difference=round(grade.overall - turn.grade.overall, 1), regraded=regraded))  # fmt: skip
    new_transcript = Transcript(
        session_id=uuid.uuid4().hex,
        started_at=original.started_at,
        finished_at=original.finished_at or datetime.now(UTC),  # a re-grade is never resumed
        settings=original.settings,
        grader=grader.name,
        turns=turns,
        summary=summarise(turns),
        usage=usage,
        regrade_of=original.session_id,
    )
    compared = [r for r in rows if r.regraded]
    report = RegradeReport(
        regrade_of=original.session_id,
        session_id=new_transcript.session_id,
        old_grader=original.grader,
        new_grader=grader.name,
        rows=rows,
        spearman=spearman([r.old_score for r in compared], [r.new_score for r in compared]),
        mean_abs_difference=round(sum(abs(r.difference) for r in compared) / len(compared), 1) if compared else None,
        not_regraded=len(rows) - len(compared),
    )
    return new_transcript, report


def report_lines(report: RegradeReport) -> list[str]:
    """The side-by-side table and the agreement, for the terminal."""
    lines = [f"Re-grade of {report.regrade_of[:8]} ({report.old_grader}) with {report.new_grader}:",
             f"{'#':>3}  {'question':<48} {'old':>5} {'grader':<14} {'new':>5} {'grader':<14} {'diff':>6}"]  # fmt: skip
    for r in report.rows:
        question = r.question if len(r.question) <= 46 else r.question[:45] + "…"
        question += f" ({r.attempt})" if r.attempt > 1 else ""
        mark = "" if r.regraded else "  not re-graded: old grade kept"
        lines.append(f"{r.number:>3}  {question:<48} {r.old_score:>5.0f} {r.old_grader[:14]:<14} "
                     f"{r.new_score:>5.0f} {r.new_grader[:14]:<14} {r.difference:>+6.0f}{mark}")  # fmt: skip
    rho = "n/a" if report.spearman is None else f"{report.spearman:.3f}"
    mad = "n/a" if report.mean_abs_difference is None else f"{report.mean_abs_difference:.1f}"
    lines.append(f"Spearman between the two gradings: {rho}; mean absolute difference: {mad} points.")
    if report.not_regraded:
        lines.append(
            f"{report.not_regraded} answer(s) not re-graded (the new grader failed): their old grades are kept."
        )
    return lines
