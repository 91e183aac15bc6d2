"""The hint ladder: up to three hints per question, each more revealing and each with a cost taken off the
question's overall after grading.

1. nudge: which area of the answer is thin (the bold label of a missed key point), no content;
2. concept: the key term of that missed point;
3. partial answer: the missed point in full, then marked `hinted` in the grade (not the candidate's own).

Experience questions climb the STAR parts instead: the thinnest part of the story, what that part needs,
then the bank's example of it. The ladder aims at what the draft typed so far still misses.
"""

from __future__ import annotations

import re

from .bank import Question, label_of, labelled_lines
from .grading import text as t
from .grading.models import Grade, GradeRequest, Hint, Penalty
from .grading.offline import OfflineGrader
from .grading.relevance import bundled_corpus

LEVELS = ("nudge", "concept", "partial answer")
NO_MORE = "No more hints for this question: three is the most."
NOTHING_TO_REVEAL = (
    "Your draft already touches every key point: make each one concrete, with a mechanism or an example. "
    "(No hint taken, nothing charged.)"
)

# The STAR parts a story needs: the experience rubric's criterion, the nudge, what the part needs, and the
# bold label of the bank's example that shows it.
_STAR = (
    ("situation", "Open with the situation: where, when, and what was at stake.",
     "Give the context in one or two sentences: the project, its goal, the constraints and your role.",
     ("situation", "task", "context", "project", "background")),
    ("actions", "Say what you did yourself, not what the team did.",
     "Use 'I' for your own decisions and actions, and say why you chose them.",
     ("action", "actions", "solution", "solutions", "approach", "implementation")),
    ("outcome", "End with the result, and what you learned.",
     "Give the outcome in numbers (time saved, errors cut, cost) and one lesson you took from it.",
     ("result", "results", "outcome", "impact", "learned", "lesson")),
    ("technical_substance", "Name the technical core of the story.",
     "Name the methods and tools, the hard part, and why you picked that approach over another.",
     ("techniques", "solutions", "challenges", "implementation", "action")),
)  # fmt: skip


def next_hint(question: Question, draft: str, taken: list[Hint], costs: list[float]) -> Hint | str | None:
    """The next rung of the ladder for what `draft` still misses (None after the third; a message, free and
    not recorded, when the draft already touches every key point)."""
    level = len(taken) + 1
    if level > len(LEVELS):
        return None
    cost = float(costs[level - 1])
    aim = taken[-1].point if taken else None
    if question.kind == "experience":
        part = _story_part(question, draft, aim)
        text = _story_hint(question, part, level)
        return Hint(level=level, text=text, cost=cost, point=part[0])
    missing = _missing_points(question, draft)
    point = aim if aim in missing else next(iter(missing), None)  # keep climbing toward the same point
    if point is None:  # nothing left to reveal: said, not charged, not counted as a rung
        return NOTHING_TO_REVEAL
    text = _technical_hint(question, point, level, len(missing))
    return Hint(level=level, text=text, cost=cost, point=point)


def describe(hint: Hint) -> str:
    """How a hint is shown: its rung, its cost, its text."""
    return f"Hint {hint.level} of 3 ({LEVELS[hint.level - 1]}, −{hint.cost:g} points): {hint.text}"


def cost_note(next_cost: float | None) -> str:
    return "No hints left for this question." if next_cost is None else f"The next hint costs {next_cost:g} points."


def apply_hints(grade: Grade, hints: list[Hint]) -> Grade:
    """The grade with the hints' costs taken off `overall` (never below 0) and the key points a level-3 hint
    gave away marked `hinted`: they are not the candidate's own coverage."""
    if not hints:
        return grade
    hinted = {h.point for h in hints if h.level == 3 and h.point}
    key_points = [
        k.model_copy(update={"status": "hinted", "evidence": None}) if k.point in hinted else k
        for k in grade.key_points
    ]
    graded_points = {k.point for k in grade.key_points}
    missed = grade.missed + [p for p in sorted(hinted) if p in graded_points and p not in grade.missed]
    penalties = [Penalty(reason="hint", points=h.cost) for h in hints]
    overall = max(0.0, round(grade.overall - sum(p.points for p in penalties), 1))
    return grade.model_copy(
        update={
            "overall": overall,
            "key_points": key_points,
            "covered": [p for p in grade.covered if p not in hinted],
            "recovered": [p for p in grade.recovered if p not in hinted],
            "missed": missed,
            "penalties": penalties,
        }
    )


# -- technical questions ---------------------------------------------------------------------------------


def _technical_hint(question: Question, point: str, level: int, missing: int) -> str:
    if level == 1:
        label = label_of(point, question.reference)
        if label:
            return f"Your answer is thin on one area: {label}."
        # No area to name: a cue from the point itself (its opening words), never an empty nudge that costs
        verb, which = ("is", "It") if missing == 1 else ("are", "One of them")
        return (
            f"{missing} of the {len(question.key_points)} key points of a full answer {verb} still missing. "
            f"{which} starts: “{_opening(point)} …”"
        )
    if level == 2:
        return f"A key term to build on: {_key_term(point, question.text)}."
    return point


def _opening(point: str) -> str:
    """The point's first words, up to and including its first content word (at most three words)."""
    words = point.rstrip(".").split()
    for n, word in enumerate(words[:3], start=1):
        if t.content_stems(word):
            return " ".join(words[:n])
    return " ".join(words[:3])


def _missing_points(question: Question, draft: str) -> list[str]:
    """The key points the draft does not cover yet, in the reference's order."""
    if not draft.strip():
        return list(question.key_points)
    probe = OfflineGrader().assess(
        GradeRequest(question=question.text, reference=question.reference, answer=draft, key_points=question.key_points)
    )
    judged = {k.point: k.status for k in probe.key_points}
    return [p for p in question.key_points if judged.get(p, "missed") != "covered"]


def _key_term(point: str, question: str) -> str:
    """The point's rarest word that the question does not already say (by how rare it is in the banks)."""
    corpus = bundled_corpus()
    asked = set(t.content_stems(question))
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", point) if (s := t.content_stems(w)) and s[0] not in asked]
    if not words:
        return f"“{point.split()[0]}”"
    return f"“{max(words, key=lambda w: (corpus.idf(t.content_stems(w)[0]), len(w)))}”"


# -- experience questions --------------------------------------------------------------------------------


def _story_hint(question: Question, part: tuple[str, str, str, tuple[str, ...]], level: int) -> str:
    _, nudge, needs, labels = part
    if level == 1:
        return nudge
    if level == 2:
        return needs
    example = _example_part(question.reference, labels)
    return f"The bank's example does it like this: {example}" if example else needs


def _story_part(question: Question, draft: str, aim: str | None) -> tuple[str, str, str, tuple[str, ...]]:
    """The STAR part the ladder aims at: the one aimed at before, else the draft's thinnest."""
    if aim is not None and (aimed := next((part for part in _STAR if part[0] == aim), None)) is not None:
        return aimed  # (an old transcript's hint aims at a key point, not a STAR part: start afresh)
    if not draft.strip():
        return _STAR[0]
    probe = OfflineGrader().assess(
        GradeRequest(question=question.text, reference=question.reference, answer=draft, kind="experience")
    )
    scores = {c.name: c.score for c in probe.criteria}
    return min(_STAR, key=lambda part: scores.get(part[0], 1.0))


def _example_part(reference: str, labels: tuple[str, ...]) -> str | None:
    """What the bank's example says under the first of the labels it has (its bold labels), else None."""
    found: dict[str, str] = {}
    for label, text in labelled_lines(reference):
        if text.strip():
            found.setdefault(label.lower(), text.strip())
    return next((found[label] for label in labels if label in found), None)
