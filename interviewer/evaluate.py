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
    question_id: str = ""
    """Names the question in the per-question checks (the question text when empty)."""
    flags: list[str] = []

    @property
    def predicted_score(self) -> float:
        """The 0-100 overall on the 1-5 scale of the labels."""
        return 1 + self.overall / 25


class Agreement(BaseModel):
    n: int
    spearman: float | None
    pairwise_accuracy: float | None
    mean_absolute_error: float | None


class OrderCheck(BaseModel):
    """One ordering every question should show, e.g. good above partial."""

    name: str
    questions: int
    """Questions that have both levels."""
    passed: int
    share: float | None
    failing: list[str]
    """Question ids where the order does not hold."""


class EvalReport(BaseModel):
    all: Agreement
    without_wrong: Agreement
    mean_by_level: dict[str, float]
    """Mean overall (0-100) per level."""
    order_checks: list[OrderCheck] = []
    flagged_off_topic: dict[str, int] = {}
    """Replies flagged off_topic, per level (none should be excellent or good)."""


# (name, level expected higher, level expected lower, strictly) per question
ORDER_CHECKS = (
    ("good > partial", "good", "partial", True),
    ("partial > vague", "partial", "vague", True),
    ("off-topic < partial", "partial", "offtopic", True),
    ("excellent >= good", "excellent", "good", False),
    ("plain words > keyword list", "plainwords", "keywords", True),
)


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


def order_checks(results: Sequence[LabelledResult]) -> list[OrderCheck]:
    """Per question, whether the levels come out in the order they should (see ORDER_CHECKS)."""
    by_question: dict[str, dict[str, float]] = defaultdict(dict)
    for r in results:
        by_question[r.question_id or r.question][r.level] = r.overall
    checks = []
    for name, higher, lower, strict in ORDER_CHECKS:
        both = {q: s for q, s in by_question.items() if higher in s and lower in s}
        failing = [q for q, s in both.items() if not (s[higher] > s[lower] if strict else s[higher] >= s[lower])]
        passed = len(both) - len(failing)
        checks.append(OrderCheck(name=name, questions=len(both), passed=passed,
                                 share=passed / len(both) if both else None, failing=failing))  # fmt: skip
    return checks


def evaluate(results: Sequence[LabelledResult], off_topic_flag: str = "off_topic") -> EvalReport:
    levels: dict[str, list[float]] = defaultdict(list)
    flagged: dict[str, int] = defaultdict(int)
    for r in results:
        levels[r.level].append(r.overall)
        flagged[r.level] += off_topic_flag in r.flags
    return EvalReport(
        all=agreement(results),
        without_wrong=agreement([r for r in results if r.level != "wrong"]),
        mean_by_level={k: round(sum(v) / len(v), 1) for k, v in levels.items()},
        order_checks=order_checks(results),
        flagged_off_topic={k: v for k, v in flagged.items() if v},
    )


def format_report(report: EvalReport) -> str:
    return format_reports({"": report})


def format_reports(reports: dict[str, EvalReport]) -> str:
    """One or more reports (e.g. dev and validation) side by side, a column each."""
    names = list(reports)
    width = max(12, *(len(n) for n in names))
    f = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    head = f"{'':<34}" + "".join(f"{n:>{width + 2}}" for n in names) if len(names) > 1 else None
    out = [head] if head else []

    def row(label: str, values: list[str]) -> None:
        out.append(f"{label:<34}" + "".join(f"{v:>{width + 2}}" for v in values))

    for part, title in (("all", "all replies"), ("without_wrong", "without 'wrong' level")):
        agreements = [getattr(r, part) for r in reports.values()]
        row(f"{title}: n", [str(a.n) for a in agreements])
        row("  spearman", [f(a.spearman) for a in agreements])
        row("  pairwise", [f(a.pairwise_accuracy) for a in agreements])
        row("  mae", [f(a.mean_absolute_error) for a in agreements])
    out.append("mean overall by level:")
    levels = list(dict.fromkeys(k for r in reports.values() for k in r.mean_by_level))
    for level in levels:
        row(
            f"  {level}",
            [f"{r.mean_by_level[level]:.1f}" if level in r.mean_by_level else "-" for r in reports.values()],
        )
    out.append("per-question order checks (passed/questions):")
    for i, (name, *_rest) in enumerate(ORDER_CHECKS):
        checks = [r.order_checks[i] if len(r.order_checks) > i else None for r in reports.values()]
        row(f"  {name}", [f"{c.passed}/{c.questions}" if c else "-" for c in checks])
    for label, report in reports.items():
        for check in report.order_checks:
            if check.failing:
                out.append(f"  {label + ': ' if label else ''}{check.name} fails on: {', '.join(check.failing)}")
    flagged = [f"{label + ': ' if label else ''}{level} {n}" for label, r in reports.items()
               for level, n in r.flagged_off_topic.items()]  # fmt: skip
    out.append("flagged off_topic: " + (", ".join(flagged) if flagged else "none"))
    return "\n".join(out)
