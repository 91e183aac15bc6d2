"""Grader agreement with labelled replies: Spearman correlation, pairwise ordering, mean absolute error."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel


class LabelledResult(BaseModel):
    question: str
    level: str
    true_score: int
    overall: float

    @property
    def predicted_score(self) -> float:
        """The 0-100 overall on the 1-5 scale of the labels."""
        return 1 + self.overall / 25


class Agreement(BaseModel):
    n: int
    spearman: float | None
    pairwise_accuracy: float | None
    mean_absolute_error: float | None


class EvalReport(BaseModel):
    all: Agreement
    without_wrong: Agreement
    mean_by_level: dict[str, float]
    """Mean overall (0-100) per level."""


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 2:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return None if vx == 0 or vy == 0 else cov / (vx * vy)


def pairwise_accuracy(results: Sequence[LabelledResult]) -> float | None:
    """Within each question, the share of differently-labelled pairs the grader orders right (ties count half)."""
    by_question: dict[str, list[LabelledResult]] = defaultdict(list)
    for r in results:
        by_question[r.question].append(r)
    right = total = 0.0
    for group in by_question.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.true_score == b.true_score:
                    continue
                total += 1
                if a.overall == b.overall:
                    right += 0.5
                elif (a.overall > b.overall) == (a.true_score > b.true_score):
                    right += 1
    return right / total if total else None


def agreement(results: Sequence[LabelledResult]) -> Agreement:
    n = len(results)
    return Agreement(
        n=n,
        spearman=spearman([r.true_score for r in results], [r.overall for r in results]),
        pairwise_accuracy=pairwise_accuracy(results),
        mean_absolute_error=sum(abs(r.predicted_score - r.true_score) for r in results) / n if n else None,
    )


def evaluate(results: Sequence[LabelledResult]) -> EvalReport:
    levels: dict[str, list[float]] = defaultdict(list)
    for r in results:
        levels[r.level].append(r.overall)
    return EvalReport(
        all=agreement(results),
        without_wrong=agreement([r for r in results if r.level != "wrong"]),
        mean_by_level={k: round(sum(v) / len(v), 1) for k, v in levels.items()},
    )


def format_report(report: EvalReport) -> str:
    def line(name: str, a: Agreement) -> str:
        f = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        return (
            f"{name:<22} n={a.n:<4} spearman={f(a.spearman)}  pairwise={f(a.pairwise_accuracy)}  "
            f"mae={f(a.mean_absolute_error)}"
        )

    out = [line("all replies", report.all), line("without 'wrong' level", report.without_wrong)]
    out.append("mean overall by level:")
    out += [f"  {k:<10} {v:5.1f}" for k, v in report.mean_by_level.items()]
    return "\n".join(out)
