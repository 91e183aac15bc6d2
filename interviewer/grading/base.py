"""What the engine needs from a grader, a follow-up writer and a follow-up policy, and the offline ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from ..bank import extract_key_points, label_of
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


@dataclass(frozen=True)
class FollowUpPlan:
    """What a follow-up should probe (the missed points, or for a story the thin part of it), or why none is
    asked: the candidate is told either way."""

    points: list[str] = field(default_factory=list)
    why_not: str | None = None


class FollowUpPolicy(Protocol):
    def plan(self, request: GradeRequest) -> FollowUpPlan:
        """The missed key points worth a follow-up question, or why none is (move on)."""
        ...


STORY_PROBES = {
    "situation": "the situation: where and when it was, and what was at stake",
    "actions": "what you did yourself, and why you chose to do it that way",
    "outcome": "the result, in numbers if you can, and what you learned",
}
"""The STAR parts of a story a follow-up probes (the experience rubric's criteria), in the words it asks with
(technical substance is left to the feedback: the offline grader reads it least well)."""
STORY_THIN = 3.0
"""A part scored under this (of 5) is thin enough to probe."""
COVERED_ENOUGH = "No follow-up: your answer already covers most of the key points."
NOTHING_TO_BUILD_ON = "No follow-up: there is too little in the answer to build on; the feedback shows what to add."
STORY_COMPLETE = "No follow-up: your story has each of its parts (situation, actions, result)."


class CoveragePolicy:
    """Probe when the reply covers under half of the reference's key points (by the offline grader's reading)."""

    def __init__(self, offline: OfflineGrader | None = None) -> None:
        self.offline = offline or OfflineGrader()

    def plan(self, request: GradeRequest) -> FollowUpPlan:
        probe = self.offline.assess(request)
        if probe.overall == 0:  # nothing to build on: move on rather than probe
            return FollowUpPlan(why_not=NOTHING_TO_BUILD_ON)
        if request.kind == "experience":  # probe the story's thinnest part
            scores = {c.name: c.score for c in probe.criteria if c.name in STORY_PROBES}
            thinnest = min(scores, key=lambda name: scores[name], default=None)
            if thinnest is None or scores[thinnest] >= STORY_THIN:
                return FollowUpPlan(why_not=STORY_COMPLETE)
            return FollowUpPlan([STORY_PROBES[thinnest]])
        if not probe.key_points:
            return FollowUpPlan(why_not=NOTHING_TO_BUILD_ON)
        covered_share = len(probe.covered) / len(probe.key_points)
        return FollowUpPlan(probe.missed) if covered_share < 0.5 else FollowUpPlan(why_not=COVERED_ENOUGH)


class TemplateFollowUps:
    """Offline follow-ups: a question built from the most important missed point, without its answer."""

    async def write(self, request: GradeRequest, missed: list[str], usage: Usage | None = None) -> AsyncIterator[str]:
        if request.kind == "experience":
            yield f"Let's go a bit deeper. Tell me more about {missed[0]}."
            return
        points = request.key_points or extract_key_points(request.reference)
        yield template_followup(missed[0], request.reference, covered=[p for p in points if p not in missed])


def template_followup(point: str, reference: str, covered: list[str] | None = None) -> str:
    """Point toward the area of a missed key point (its bold label in the reference) without stating it; an
    area the reply already covered in part is asked about as such (not as if nothing of it was said)."""
    label = label_of(point, reference)
    if label:
        acronym = any(any(c.isupper() for c in word[1:]) for word in label.split())
        area = label if acronym else label.lower()  # keep GANs, RAG, ...
        if any(label_of(p, reference) == label for p in covered or []):
            return f"Let's go a bit deeper. You covered part of the {area}: what else belongs there?"
        return f"Let's go a bit deeper. What would you say about the {area}?"
    words = point.rstrip(".").split()
    if len(words) <= 4:
        topic = " ".join(words)
        topic = topic[0].lower() + topic[1:] if topic[:2].isalpha() and not topic[:2].isupper() else topic
        return f"Let's go a bit deeper. What about {topic}?"
    return "Let's go a bit deeper. What else matters here that you haven't mentioned yet?"
