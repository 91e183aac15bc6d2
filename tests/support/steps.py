"""What a front end tells the candidate about a step of the engine."""

from __future__ import annotations

from interviewer.presentation import fallback_notice
from interviewer.session import Step


def notice_of(step: Step) -> str | None:
    """What the candidate is told about a grading that fell back to the offline grader (None: nothing)."""
    return fallback_notice(step.fallback_reason) if step.fallback_reason else None
