"""What a reply says, read by meaning for the offline grader: how close it is to its own question and to the
best rival question, and which of its sentences says each key point, in the reference's words or in others.

The reply is cut into units, its sentences and the clauses of long ones, so that a quote is always a whole
sentence or clause and one long sentence can cover several points with different quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import text as t
from . import thresholds as th
from .semantic import Embedder

_CLAUSE = re.compile(r"(?<=[;:])\s+|(?<=,)\s+(?=(?:and|but|so|which|while|whereas|because|since|then|or)\b)")
"""Where a long sentence splits into clauses: after a semicolon or colon, or after a comma before a linking word
(the punctuation stays with its clause, so every clause is quoted exactly as written)."""
LONG_SENTENCE = 20
"""Words above which a sentence is split into its clauses (each still quoted whole)."""
MIN_CLAUSE = 4
MAX_UNITS = 200
"""Sentences and clauses read by meaning, at most (about 3,000 words): a pasted book costs seconds, not minutes,
of the model; the words still read the whole reply."""


def units(text: str) -> list[str]:
    """The reply's sentences, and the clauses of long ones: what a quote can be."""
    out: list[str] = []
    for sentence in t.sentences(text):
        pieces = [sentence]
        if len(sentence.split()) > LONG_SENTENCE:
            pieces = [p.strip() for p in _CLAUSE.split(sentence) if p and p.strip()]
            merged: list[str] = []
            for piece in pieces:  # a clause too short to stand alone stays with the one before
                if merged and len(piece.split()) < MIN_CLAUSE:
                    merged[-1] = f"{merged[-1]} {piece}"
                else:
                    merged.append(piece)
            pieces = merged
        out.extend(pieces)
    return out


@dataclass(frozen=True)
class Reading:
    """A reply read by meaning against one question."""

    units: list[str]
    point_similarity: np.ndarray
    """[key points, units]: cosine of each key point with each unit of the reply."""
    own: float
    """Cosine of the whole reply with its question and reference."""
    rival: float
    """The same with the best other question the grader knows (0 when it knows no other)."""

    @property
    def margin(self) -> float:
        return self.own - self.rival

    def best(self, point: int) -> float:
        row = self.point_similarity[point]
        return float(row.max()) if row.size else 0.0


@dataclass(frozen=True)
class Against:
    """What a reply is read against: its question and reference, their key points, and the banks in use."""

    question: str
    reference: str
    points: Sequence[str]
    documents: Sequence[tuple[str, str]]
    """(question, reference) pairs of the banks in use: the rival questions."""


def read(embedder: Embedder, reply: str, pieces: Sequence[str], against: Against) -> Reading:
    """Embed the reply whole and compare it with its question and the rival questions; with key points, embed
    its units (`pieces`, from `units`) too and compare each with each point."""
    question, reference, points, documents = against.question, against.reference, against.points, against.documents
    pieces = list(pieces[:MAX_UNITS]) or [reply]
    whole = embedder.embed([reply])[0]  # the whole reply (up to 256 word pieces) places it better than its units' mean
    own = float(embedder.embed_known([f"{question}\n{reference}"])[0] @ whole)
    rivals = [f"{q}\n{r}" for q, r in documents if q != question]
    rival = float((embedder.embed_known(rivals) @ whole).max()) if rivals else 0.0
    similarity = np.zeros((0, len(pieces)))
    if len(points):  # a story has no key points: its units need no model run
        unit_vectors = embedder.embed(pieces)
        similarity = embedder.embed_known(list(points)) @ unit_vectors.T
        # A sentence closer to the question than to a point restates the question rather than saying the point
        # ("it is about making the model smaller"): its similarity to the point is taken down by the difference.
        asked = embedder.embed_known([question])[0] @ unit_vectors.T
        similarity = similarity - th.QUESTION_ECHO_PENALTY * np.clip(asked - similarity, 0, None)
    return Reading(pieces, similarity, own, rival)
