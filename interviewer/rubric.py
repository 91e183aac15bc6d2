"""Rubrics: criteria with weights and a description of each score level, loaded from prompts/rubrics/*.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import RubricError
from .resources import prompts_dir

RUBRIC_DIR = prompts_dir() / "rubrics"
LEVELS = (1, 2, 3, 4, 5)


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float = Field(gt=0)
    description: str = Field(min_length=1)
    levels: dict[int, str]
    """A description for every score 1-5."""

    @field_validator("levels")
    @classmethod
    def _complete(cls, levels: dict[int, str]) -> dict[int, str]:
        if sorted(levels) != list(LEVELS):
            raise ValueError(f"levels must be exactly 1-5, got {sorted(levels)}")
        if not all(text.strip() for text in levels.values()):
            raise ValueError("every level needs a description")
        return levels


class Example(BaseModel):
    """A graded example reply: a calibration anchor the LLM grader reads before grading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: int = Field(ge=1, le=5)
    """The overall level of the reply, on the rubric's 1-5 scale."""
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    why: str = Field(min_length=1)
    """Why that level: the criteria scores that make it."""


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    criteria: list[Criterion] = Field(min_length=1)
    examples: list[Example] = []
    """Calibration anchors, the first ones spread across the levels (the grader may show only the first k)."""
    hint_costs: list[float] = Field([5, 10, 20], min_length=3, max_length=3)
    """Points off the question's overall for the 1st, 2nd and 3rd hint (nudge, concept, partial answer)."""

    recovery_credit: float = Field(0.75, ge=0, le=1)
    """The share of a covered point's credit that a point first covered after a follow-up question earns."""

    @field_validator("hint_costs")
    @classmethod
    def _costs(cls, costs: list[float]) -> list[float]:
        if any(c < 0 or c > 100 for c in costs):
            raise ValueError(f"hint costs must be 0-100 points, got {costs}")
        return costs

    @field_validator("criteria")
    @classmethod
    def _unique(cls, criteria: list[Criterion]) -> list[Criterion]:
        names = [c.name for c in criteria]
        if len(set(names)) != len(names):
            raise ValueError(f"criterion names repeat: {names}")
        return criteria

    def weight(self, name: str) -> float:
        return next(c.weight for c in self.criteria if c.name == name)

    def weighted_overall(self, scores: dict[str, float]) -> float:
        """0-100 from 1-5 scores of the named criteria (the others are left out and the weights renormalised)."""
        used = [c for c in self.criteria if c.name in scores]
        if not used:
            return 0.0
        total = sum(c.weight for c in used)
        return round(sum(c.weight * (scores[c.name] - 1) / 4 for c in used) / total * 100, 1)


def parse_rubric(text: str, source: str) -> Rubric:
    try:
        return Rubric.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RubricError(f"{source}: invalid rubric: {exc}") from exc


@cache
def load_rubric(kind: str, folder: Path = RUBRIC_DIR) -> Rubric:
    path = folder / f"{kind}.toml"
    if not path.is_file():
        raise RubricError(f"{path}: no rubric named {kind!r}")
    return parse_rubric(path.read_text(encoding="utf-8"), str(path))
