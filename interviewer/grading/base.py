"""What the engine needs from a grader, a follow-up writer and a follow-up policy, and the offline ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ..bank import label_of
from ..tokens import Usage
from .models import Grade, GradeRequest
from .offline import OfflineGrader


class Grader(Protocol):
    """Anything that grades. Every grader is async, even the offline one that answers at once."""

    @property
    def name(self) -> str:
        """Names the grader in grades: `llm:<model>`, `offline:meaning` or `offline:words`."""
        ...

    async def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade: ...


class FollowUpWriter(Protocol):
    def write(self, request: GradeRequest, missed: list[str], usage: Usage | None = None) -> AsyncIterator[str]: ...


class FollowUpPolicy(Protocol):
    def points_to_probe(self, request: GradeRequest) -> list[str]:
        """The missed key points worth a follow-up question (none: move on)."""
        ...


class CoveragePolicy:
    """Probe when the reply covers under half of the reference's key points (by the offline grader's reading)."""

    def __init__(self, offline: OfflineGrader | None = None) -> None:
        self.offline = offline or OfflineGrader()

    def points_to_probe(self, request: GradeRequest) -> list[str]:
        if request.kind == "experience":
            return []
        probe = self.offline.assess(request)
        if probe.overall == 0 or not probe.key_points:  # nothing to build on: move on rather than probe
            return []
        covered_share = len(probe.covered) / len(probe.key_points)
        return probe.missed if covered_share < 0.5 else []


class TemplateFollowUps:
    """Offline follow-ups: a question built from the most important missed point, without its answer."""

    async def write(self, request: GradeRequest, missed: list[str], usage: Usage | None = None) -> AsyncIterator[str]:
        yield template_followup(missed[0], request.reference)


def template_followup(point: str, reference: str) -> str:
    """Point toward the area of a missed key point (its bold label in the reference) without stating it."""
    label = label_of(point, reference)
    if label:
        acronym = any(any(c.isupper() for c in word[1:]) for word in label.split())
        area = label if acronym else label.lower()  # keep GANs, RAG, ...
        return f"Let's go a bit deeper. What would you say about the {area}?"
    words = point.rstrip(".").split()
    if len(words) <= 4:
        topic = " ".join(words)
        topic = topic[0].lower() + topic[1:] if topic[:2].isalpha() and not topic[:2].isupper() else topic
        return f"Let's go a bit deeper. What about {topic}?"
    return "Let's go a bit deeper. What else matters here that you haven't mentioned yet?"
