"""The Grade contract: what every grader returns and every exporter shows (in the transcript JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, computed_field

from ..tokens import Usage

if TYPE_CHECKING:
    from ..rubric import Rubric

KeyPointStatus = Literal["covered", "partial", "missed", "contradicted", "hinted", "recovered"]
"""`hinted`: given away by a level-3 hint, so not the candidate's own coverage. `recovered`: first covered in
the answer to a follow-up question, credited at the rubric's `recovery_credit` share of a covered point."""

# Flags a reader must know about (interviewer.presentation.FLAG_WORDS puts them in words).
EMPTY_ANSWER = "empty_answer"
NO_ANSWER = "non_answer"
TRUNCATED = "truncated_answer"
INJECTION = "possible_prompt_injection"
CORRECTNESS_NOT_ASSESSED = "correctness_not_assessed"
OFF_TOPIC = "off_topic"
NOT_REGRADED = "not_regraded"
OFFLINE_LABEL = "Offline grader: key-point coverage, correctness not assessed"


class GraderKind(StrEnum):
    OFFLINE = "offline"
    LLM = "llm"


@dataclass(frozen=True)
class GraderId:
    """Which grader scored: `llm:<model>`, `offline:meaning` (the semantic layer read the reply), `offline:words`
    (it was off or could not load), or `offline` (transcripts written before the semantic layer)."""

    kind: GraderKind
    detail: str = ""
    """The model for an LLM; `meaning`, `words` or nothing for the offline grader."""

    @classmethod
    def parse(cls, text: str) -> GraderId:
        kind, _, detail = text.partition(":")
        return cls(GraderKind.LLM if kind == GraderKind.LLM else GraderKind.OFFLINE, detail)

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}" if self.detail else str(self.kind)

    @property
    def is_offline(self) -> bool:
        return self.kind is GraderKind.OFFLINE

    @property
    def reads(self) -> str:
        """How an offline grader read the reply, as people are told: "offline, by meaning" ("" for an LLM)."""
        if not self.is_offline:
            return ""
        return {"meaning": "offline, by meaning", "words": "offline, by words"}.get(self.detail, "offline")


class FollowUp(BaseModel):
    """A follow-up question the interviewer asked, and the candidate's reply to it."""

    question: str
    answer: str | None = None


class Hint(BaseModel):
    """A hint the candidate asked for: 1 nudge (the thin area), 2 concept (a key term), 3 partial answer (one
    missed key point in full). Its cost comes off the question's overall after grading."""

    level: Literal[1, 2, 3]
    text: str
    cost: float = Field(ge=0, le=100, allow_inf_nan=False)
    point: str | None = None
    """The key point (or, for a story, the STAR part) the hint is about: the ladder keeps climbing toward it."""


class Penalty(BaseModel):
    reason: Literal["hint"]
    points: float = Field(ge=0, le=100, allow_inf_nan=False)


class GradeRequest(BaseModel):
    """Everything a grader needs for one question."""

    question: str
    reference: str
    answer: str
    kind: Literal["technical", "experience"] = "technical"
    key_points: list[str] | None = None
    """The reference's key points; extracted from the reference when not given."""
    followups: list[FollowUp] = []
    hints: list[Hint] = []
    """Hints taken before answering: level-3 ones gave key points away (see `hinted`)."""

    @property
    def hinted(self) -> list[str]:
        """Key points given away by level-3 hints: not to be credited as the candidate's own."""
        if self.kind == "experience":
            return []  # a story's hints show the bank's example, not a key point of the candidate's own story
        return [h.point for h in self.hints if h.level == 3 and h.point]

    def full_reply(self) -> str:
        """The reply and every follow-up answer: the grade covers them together."""
        parts = [self.answer] + [f.answer for f in self.followups if f.answer]
        return "\n\n".join(p for p in parts if p and p.strip())


class CriterionScore(BaseModel):
    name: str
    score: float = Field(ge=0, le=5, allow_inf_nan=False)
    """1-5 (0 for an empty reply); the offline grader keeps one decimal."""
    max: int = 5
    weight: float = Field(ge=0, allow_inf_nan=False)
    justification: str


class KeyPoint(BaseModel):
    point: str
    status: KeyPointStatus
    evidence: str | None = None
    """A short quote from the reply that shows the status."""


class Grade(BaseModel):
    overall: float = Field(ge=0, le=100, allow_inf_nan=False)
    criteria: list[CriterionScore] = []
    key_points: list[KeyPoint] = []
    covered: list[str] = []
    missed: list[str] = []
    recovered: list[str] = []
    """Key points first covered after a follow-up question (also listed in `covered`)."""
    strengths: list[str] = []
    factual_errors: list[str] = []
    suggestions: list[str] = []
    improved_answer: str | None = None
    grader: str
    """`llm:<model>`, `offline:meaning` or `offline:words` (`offline` in older transcripts): see GraderId."""
    fallback_reason: str | None = None
    flags: list[str] = []
    penalties: list[Penalty] = []
    """Points taken off `overall` (already applied), e.g. one per hint."""
    usage: Usage | None = None
    """What this answer's LLM calls spent (its grading and any follow-up written for it); None offline."""

    @property
    def grader_id(self) -> GraderId:
        return GraderId.parse(self.grader)

    @property
    def is_offline(self) -> bool:
        return self.grader_id.is_offline

    @property
    def band(self) -> str:
        return score_band(self.overall)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headline(self) -> str:
        """The score as every place names it: an offline grade is key-point coverage, never a verdict word."""
        cost = f", {self.penalty_words}" if self.penalties else ""
        if self.is_offline:
            how = f"{self.grader_id.reads}; " if self.grader_id.detail else ""  # older transcripts read as written
            return f"Key-point coverage {self.overall:.0f}/100 ({how}correctness not checked{cost})"
        return f"Score: {self.overall:.0f}/100 ({self.band}{cost})"

    @property
    def penalty_words(self) -> str:
        """ "−15 for 2 hints" ("" when nothing was taken off)."""
        return hint_cost_words(sum(p.points for p in self.penalties), len(self.penalties))

    def criterion(self, name: str) -> CriterionScore | None:
        return next((c for c in self.criteria if c.name == name), None)


def hint_cost_words(points: float, hints: int) -> str:
    """ "−15 for 2 hints", as a grade and a session's summary say it ("" for no hint)."""
    return f"−{points:g} for {hints} hint{'s' if hints != 1 else ''}" if hints else ""


def score_band(overall: float) -> str:
    if overall >= 85:
        return "excellent"
    if overall >= 65:
        return "good"
    if overall >= 40:
        return "partial"
    if overall > 0:
        return "weak"
    return "no credit"


def assemble_grade(
    rubric: Rubric,
    scores: dict[str, float],
    justification: dict[str, str],
    key_points: list[KeyPoint],
    **fields: Any,
) -> Grade:
    """A Grade from per-criterion scores: criteria in the rubric's order, the overall from its weights, and the
    covered and missed lists from the key points. Criteria without a score are left out."""
    criteria = [
        CriterionScore(name=c.name, score=scores[c.name], weight=c.weight, justification=justification[c.name])
        for c in rubric.criteria
        if c.name in scores
    ]
    return Grade(
        overall=rubric.weighted_overall(scores),
        criteria=criteria,
        key_points=key_points,
        covered=[k.point for k in key_points if k.status in ("covered", "recovered")],
        recovered=[k.point for k in key_points if k.status == "recovered"],
        missed=[k.point for k in key_points if k.status in ("missed", "hinted")],
        **fields,
    )
