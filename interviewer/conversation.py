"""What the candidate is told, in the terminal and in the browser alike: each engine step becomes a list of
things said (questions, feedback, notices, remarks); each front end only draws them in its medium.

Also the jobs both front ends share around a session: counting questions done, telling once that the history
stopped (or started again) being saved, the warning for a drafted bank, and writing transcript files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .grading.models import Grade
from .presentation import (
    fallback_notice,
    followup_fallback_notice,
    history_notice,
    render_transcript,
    transcript_filename,
    turn_view_in,
)
from .session import Session, Step
from .transcript import Transcript, TurnRecord
from .unicode import without_images


class Tone(StrEnum):
    """How a thing said is drawn."""

    QUESTION = "question"
    """A question or a follow-up question, asked."""
    FEEDBACK = "feedback"
    """A graded answer's feedback (`Said.grade`)."""
    NOTICE = "notice"
    """Something the candidate must know that is not the interview itself (a fallback, the history)."""
    REMARK = "remark"
    """The interviewer's aside ("Thank you.")."""


@dataclass(frozen=True)
class Said:
    tone: Tone
    text: str
    grade: Grade | None = None
    """The feedback's grade (FEEDBACK only)."""
    reference: str | None = None
    """FEEDBACK: the graded question's reference (where each point still to learn sits in it)."""
    change: str | None = None
    """FEEDBACK: what this attempt changed against the one before (None: a first attempt)."""
    can_retry: bool = False
    """FEEDBACK: the question can be answered again right now."""
    in_feedback: bool = False
    """NOTICE: the feedback said with it tells this too (a front end that prints the whole feedback skips it)."""
    streamed: bool = False
    """QUESTION: a follow-up the front end already showed piece by piece as it was written."""


FOLLOW_UP = "Follow-up"
"""What a follow-up question is labelled with, wherever it is shown."""
FINISHED = "That was the last question. Your summary is below."
ENDED = "The interview is over. Your summary is below."


def told(session: Session, step: Step) -> list[Said]:
    """What the interviewer says after an action, in order. What an LLM wrote (a follow-up, a refusal or a
    server's words in a fallback's reason) is said without images: a page showing it as Markdown would fetch
    them from wherever the model pointed."""
    said: list[Said] = []
    if step.followup_fallback_reason:
        said.append(Said(Tone.NOTICE, without_images(followup_fallback_notice(step.followup_fallback_reason))))
    if step.fallback_reason:
        notice = without_images(fallback_notice(step.fallback_reason))
        said.append(Said(Tone.NOTICE, notice, in_feedback=step.feedback is not None))
    if step.followup:
        return [*said, Said(Tone.QUESTION, without_images(step.followup), streamed=True)]
    if step.feedback is not None:
        said.append(_feedback(session, step.feedback))
        if step.no_followup:  # practice mode only: in a mock interview it would tell the grade early
            said.append(Said(Tone.REMARK, step.no_followup))
    elif not step.finished and not step.skipped:
        said.append(Said(Tone.REMARK, "Thank you."))
    if step.next_question:
        said.append(Said(Tone.QUESTION, step.next_question))
    if step.finished:
        said.append(Said(Tone.REMARK, FINISHED))
    return said


def _feedback(session: Session, grade: Grade) -> Said:
    graded = next((i for i, t in enumerate(session.turns) if t.grade is grade), None)
    change = turn_view_in(session.turns, graded).change if graded is not None else None
    return Said(
        Tone.FEEDBACK,
        grade.headline,
        grade=grade,
        reference=session.turns[graded].reference if graded is not None else None,
        change=change.text if change is not None else None,
        can_retry=session.can_retry() and not session.finished,
    )


def questions_done(turns: Sequence[TurnRecord]) -> int:
    """Questions answered (and graded) or skipped; a further attempt at one is no new question."""
    return len({t.question_id for t in turns if t.done})


def draft_warning(name: str) -> str:
    return f"{name} is a drafted bank, not yet reviewed: its reference answers may be wrong."


@dataclass
class HistoryWatch:
    """Tells once that the history stopped being saved, and once that it is saved again."""

    told: bool = False

    def news(self, session: Session) -> Said | None:
        problem = session.history_problem()
        if bool(problem) == self.told:
            return None
        self.told = bool(problem)
        return Said(Tone.NOTICE, history_notice(problem))


def write_transcripts(transcript: Transcript, folder: Path, formats: Sequence[str]) -> list[Path]:
    """The transcript written in each format into `folder` (created if missing); the files, in that order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / transcript_filename(transcript, fmt)
        path.write_text(render_transcript(transcript, fmt), encoding="utf-8")
        paths.append(path)
    return paths
