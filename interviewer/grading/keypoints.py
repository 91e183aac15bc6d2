"""The reply as the offline grader reads it, and its key points judged against it.

A key point is covered, partly covered or missed by the reference's words (stems, synonyms, abbreviations) or,
with a reading by meaning (grading/meaning.py), by what a sentence of the reply says in any words: whichever
says more. Its evidence is the reply's sentence or clause that says it, whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import meaning
from . import text as t
from . import thresholds as th
from .meaning import Reading
from .models import KeyPoint
from .relevance import terms

_STATUS_RANK = {"missed": 0, "partial": 1, "covered": 2}
_LEXICAL_EVIDENCE_WEIGHT = 0.3
"""How much the reference's own words in a sentence add to its meaning when choosing the quote for a point."""
_EVIDENCE_SLACK = 0.01
"""A point takes a sentence no other point quotes if that one matches nearly as well as the best."""


@dataclass(frozen=True)
class Reply:
    """The reply as the grader sees it, with any text addressed to the grader taken out."""

    text: str
    stems: frozenset[str]
    words: int
    sentences: list[str]
    units: list[str]
    """Sentences, and the clauses of long ones: what a quote can be (grading/meaning.py)."""
    unit_stems: list[frozenset[str]]
    prose: float
    """1 for explanatory prose, down to 0 for a list of terms (the share of function words)."""


@dataclass(frozen=True)
class Asked:
    """The question and reference as the grader matches replies against them (worked out once per grading)."""

    question_stems: frozenset[str]
    reference_terms: frozenset[str]
    defined: dict[str, str]
    """Abbreviations the question or reference define."""


def read_reply(text: str, defined: dict[str, str]) -> Reply:
    sentences = t.sentences(text)
    stems = frozenset(terms(text, defined))
    pieces = meaning.units(text)
    unit_stems = [frozenset(terms(u, defined)) for u in pieces]
    words = t.words(text)
    function_share = sum(w in t.STOP_WORDS for w in words) / max(1, len(words))
    prose = min(1.0, max(0.0, (function_share - th.PROSE_FLOOR) / (th.PROSE_FULL - th.PROSE_FLOOR)))
    return Reply(text, stems | frozenset().union(*unit_stems), len(words), sentences, pieces, unit_stems, prose)


def judge_points(
    points: Sequence[str], reply: Reply, asked: Asked, reading: Reading | None, given: set[str]
) -> list[KeyPoint]:
    """Each key point covered, partly covered or missed, by the reference's words (stems, synonyms) or, with a
    reading, by meaning: whichever says more. Its evidence is the reply's sentence or clause that says it,
    whole; two points share a quote only when no other sentence says one of them nearly as well."""
    statuses: list[str] = []
    unit_scores: list[list[float]] = []
    for i, point in enumerate(points):
        own = set(terms(point, asked.defined))
        stems = (own - asked.question_stems) or own
        lexical = [len(stems & u) / len(stems) if stems else 0.0 for u in reply.unit_stems]
        status = _lexical_status(stems, reply.stems)
        scores = lexical
        if reading is not None:
            status = max(status, _status_by_meaning(reading.best(i)), key=_STATUS_RANK.__getitem__)
            similarity = reading.point_similarity[i]
            scores = [float(s) + _LEXICAL_EVIDENCE_WEIGHT * x for s, x in zip(similarity, lexical)]
        statuses.append("hinted" if point in given else status)
        unit_scores.append(scores)
    evidence = _quotes(reply.units, statuses, unit_scores, slack=_EVIDENCE_SLACK if reading else 0.0)
    return [KeyPoint(point=p, status=s, evidence=e) for p, s, e in zip(points, statuses, evidence)]


def _status_by_meaning(similarity: float) -> str:
    if similarity >= th.COVERED_SIMILARITY:
        return "covered"
    return "partial" if similarity >= th.PARTIAL_SIMILARITY else "missed"


def _lexical_status(stems: set[str], reply_stems: frozenset[str]) -> str:
    if not stems:
        return "missed"
    hit = stems & reply_stems
    share = len(hit) / len(stems)
    if share >= 0.6 or len(hit) >= 3:
        return "covered"
    if hit and (share >= 0.3 or len(hit) >= 2):
        return "partial"
    return "missed"


def _quotes(units: list[str], statuses: list[str], scores: list[list[float]], slack: float) -> list[str | None]:
    """The quote for each covered or partly covered point: its best unit, or one no other point took yet that
    matches nearly as well; the points that match best choose first."""
    quotes: list[str | None] = [None] * len(statuses)
    taken: set[int] = set()
    shown = [i for i, s in enumerate(statuses) if s in ("covered", "partial") and scores[i]]
    for i in sorted(shown, key=lambda i: -max(scores[i])):
        row = scores[i]
        best = max(range(len(row)), key=row.__getitem__)
        free = [u for u in range(len(row)) if u not in taken and row[u] >= row[best] - slack and row[u] > 0]
        choice = max(free, key=row.__getitem__) if free else best
        taken.add(choice)
        quotes[i] = units[choice]
    return quotes
