"""What the engine needs from a grader and a follow-up writer, and the offline follow-up writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

from ..bank import label_of
from ..tokens import Usage
from .models import Grade, GradeRequest


class Grader(Protocol):
    """Anything that grades: the offline grader answers at once, the LLM grader is a coroutine."""

    name: str

    def grade(self, request: GradeRequest, usage: Usage | None = None) -> Grade | Awaitable[Grade]: ...


class FollowUpWriter(Protocol):
    def write(self, request: GradeRequest, missed: list[str], usage: Usage | None = None) -> AsyncIterator[str]: ...


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
