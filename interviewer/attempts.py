"""What a further attempt at a question (Try again) changed against the attempt before it."""

from __future__ import annotations

from dataclasses import dataclass

from .transcript import TurnRecord


@dataclass(frozen=True)
class AttemptChange:
    """What a further attempt changed against the one before: "+23", "coverage 2 → 4", newly covered points."""

    attempt: int
    overall: str
    criteria: tuple[str, ...]
    newly_covered: tuple[str, ...]

    @property
    def text(self) -> str:
        moved = f" ({', '.join(self.criteria)})" if self.criteria else ""
        new = f" Newly covered: {', '.join(self.newly_covered)}." if self.newly_covered else ""
        return f"Attempt {self.attempt}: {self.overall} on attempt {self.attempt - 1}{moved}.{new}"


def attempt_change(previous: TurnRecord | None, turn: TurnRecord) -> AttemptChange | None:
    if previous is None or previous.grade is None or turn.grade is None:
        return None
    before, after = previous.grade, turn.grade
    delta = after.overall - before.overall
    criteria = tuple(
        f"{c.name.replace('_', ' ')} {old.score:g} → {c.score:g}"
        for c in after.criteria
        if (old := before.criterion(c.name)) is not None and old.score != c.score
    )
    newly = tuple(p for p in after.covered if p not in before.covered)
    return AttemptChange(turn.attempt, f"{delta:+.0f}", criteria, newly)
