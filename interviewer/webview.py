"""What the web app shows, as escaped HTML and Markdown strings and plain tables (no Gradio in here).

Whatever the candidate typed is escaped before it reaches the page, so it is shown as text and
never run as HTML or script.
"""

from __future__ import annotations

import html
import re

from .grading.models import Grade, flag_words, grader_label
from .transcript import Summary, Transcript, TurnRecord
from .transcript import escape_html as e

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def literal_markdown(text: str) -> str:
    """Text that a Markdown renderer shows exactly as typed (HTML escaped, Markdown syntax escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def progress_html(done: int, total: int, label: str) -> str:
    pct = 0 if total == 0 else round(100 * done / total)
    return (
        f'<div class="iv-progress" role="progressbar" aria-valuemin="0" aria-valuemax="{total}" '
        f'aria-valuenow="{done}"><div class="iv-progress-label">{e(label)}</div>'
        f'<div class="iv-progress-track"><div class="iv-progress-fill" style="width:{pct}%"></div></div></div>'
    )


def _list(title: str, items: list[str], css: str = "") -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{e(x)}</li>" for x in items)
    return f'<div class="iv-list {css}"><strong>{e(title)}</strong><ul>{lis}</ul></div>'


def feedback_html(turn: TurnRecord, number: int | None = None, collapsed: bool = False, open_: bool = False) -> str:
    """The feedback card for one graded (or skipped) turn; `collapsed` folds it under its title and score."""
    head = f"Question {number}: " if number else ""
    grade = turn.grade
    score = "skipped" if turn.skipped or grade is None else f"{grade.overall:.0f}/100"
    title = f"<h3>{e(head)}{e(turn.question)}</h3>"
    if collapsed:
        opened = " open" if open_ else ""
        parts = [f'<div class="iv-feedback"><details{opened}><summary>{title} <strong>{e(score)}</strong></summary>']
    else:
        parts = [f'<div class="iv-feedback">{title}']
    end = "</details></div>" if collapsed else "</div>"
    if turn.skipped or grade is None:
        parts.append(f"<p><em>Skipped: no feedback.</em></p>{end}")
        return "".join(parts)
    parts.append(
        f'<p class="iv-score"><span class="iv-overall">{grade.overall:.0f}/100</span> '
        f'<span class="iv-band iv-band-{e(grade.band.replace(" ", "-"))}">{e(grade.band)}</span> '
        f'<span class="iv-grader">{e(grader_label(grade))}</span></p>'
    )
    if grade.fallback_reason:
        parts.append(f'<p class="iv-notice">LLM grading failed ({e(grade.fallback_reason)}); graded offline.</p>')
    flags = [f for f in grade.flags if f != "correctness_not_assessed"]  # the grader label already says so
    if flags:
        parts.append(f'<p class="iv-flags">Note: {e(flag_words(flags))}</p>')
    parts.append(criteria_bars_html(grade))
    parts.append(rubric_table_html(grade))
    parts.append(_key_points_html(grade))
    parts.append(_list("Strengths", grade.strengths))
    parts.append(_list("Factual errors", grade.factual_errors, "iv-errors"))
    parts.append(_list("Suggestions", grade.suggestions))
    if turn.answer is not None:
        parts.append(f'<details><summary>Your answer</summary><pre class="iv-pre">{e(turn.answer)}</pre></details>')
    for f in turn.followups:
        parts.append(
            f"<details><summary>Follow-up: {e(f.question)}</summary>"
            f'<pre class="iv-pre">{e(f.answer or "(not answered)")}</pre></details>'
        )
    parts.append(f'<details><summary>Reference answer</summary><pre class="iv-pre">{e(turn.reference)}</pre></details>')
    if grade.improved_answer:
        parts.append(
            f'<details><summary>Improved answer</summary><pre class="iv-pre">{e(grade.improved_answer)}</pre></details>'
        )
    parts.append(end)
    return "".join(parts)


def criteria_bars_html(grade: Grade) -> str:
    """A small bar chart of the criteria scores (out of 5), in the rubric's order."""
    bars = "".join(
        f'<div class="iv-bar"><span class="iv-bar-name">{e(c.name.replace("_", " "))}</span>'
        f'<span class="iv-bar-track"><span class="iv-bar-fill" style="width:{c.score / c.max * 100:.0f}%"></span>'
        f'</span><span class="iv-bar-value">{c.score:g}</span></div>'
        for c in grade.criteria
    )
    return f'<div class="iv-bars" role="img" aria-label="Criteria scores out of 5">{bars}</div>'


def rubric_table_html(grade: Grade) -> str:
    rows = "".join(
        f"<tr><td>{e(c.name.replace('_', ' '))}</td><td>{c.score:g}/{c.max}</td><td>{c.weight:g}</td>"
        f"<td>{e(c.justification)}</td></tr>"
        for c in grade.criteria
    )
    return (
        '<table class="iv-rubric"><thead><tr><th>Criterion</th><th>Score</th><th>Weight</th>'
        f"<th>Justification</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _key_points_html(grade: Grade) -> str:
    if not grade.key_points:
        return ""
    icons = {"covered": "✓", "partial": "◐", "missed": "✗", "contradicted": "⚠"}
    rows = "".join(
        f'<li class="iv-kp-{k.status}"><span title="{k.status}">{icons[k.status]}</span> {e(k.point)}'
        + (f' <q class="iv-evidence">{e(k.evidence)}</q>' if k.evidence else "")
        + "</li>"
        for k in grade.key_points
    )
    covered = sum(k.status == "covered" for k in grade.key_points)
    return (
        f'<div class="iv-list"><strong>Key points: {covered} of {len(grade.key_points)} covered</strong>'
        f'<ul class="iv-kp">{rows}</ul></div>'
    )


def graded_by(transcript: Transcript) -> str:
    """Which grader really scored the answers, saying how many fell back to the offline grader and why."""
    grades = [t.grade for t in transcript.turns if t.grade is not None]
    fell_back = [g for g in grades if g.fallback_reason]
    text = grader_label(transcript.grader)
    if fell_back:
        reasons = "; ".join(dict.fromkeys(g.fallback_reason or "" for g in fell_back))
        text += (f". {len(fell_back)} of {len(grades)} answers were graded offline because LLM grading failed "
                 f"({reasons})")
    return text


def summary_html(summary: Summary, transcript: Transcript) -> str:
    usage = transcript.usage
    overall = "-" if summary.overall is None else f"{summary.overall:.0f}/100"
    parts = [
        '<div class="iv-summary">',
        f'<p class="iv-score"><span class="iv-overall">{overall}</span> overall · {summary.answered} answered, '
        f"{summary.skipped} skipped (skipped count as 0)</p>",
        f'<p class="iv-grader">Graded by: {e(graded_by(transcript))}.</p>',
    ]
    if summary.weakest:
        weakest = [f"{q.question} ({q.overall:.0f}/100)" for q in summary.weakest]
        parts.append(_list("Weakest questions", weakest))
    parts.append(_list("What to study next", summary.study))
    if summary.strongest:
        parts.append(_list("Strongest", [f"{q.question} ({q.overall:.0f}/100)" for q in summary.strongest]))
    if usage.prompt_tokens:
        cost = (
            f", estimated cost ${usage.estimated_cost_usd:.4f}"
            if usage.estimated_cost_usd is not None
            else " (no price known for this model)"
        )
        parts.append(f"<p>Tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion{cost}.</p>")
    parts.append("</div>")
    return "".join(parts)


def question_table_html(transcript: Transcript) -> str:
    rows = "".join(
        f"<tr><td>{i}</td><td>{e(q)}</td><td>{e(score)}</td><td>{e(band)}</td></tr>"
        for i, q, score, band in question_table(transcript)
    )
    return ('<table id="summary-table" class="iv-rubric"><thead><tr><th>#</th><th>Question</th><th>Score</th>'
            f"<th>Band</th></tr></thead><tbody>{rows}</tbody></table>")


def question_table(transcript: Transcript) -> list[list[object]]:
    rows: list[list[object]] = []
    for i, turn in enumerate(transcript.turns, start=1):
        if turn.skipped:
            score, band = "skipped", ""
        elif turn.grade is None:
            score, band = "-", ""
        else:
            score, band = f"{turn.grade.overall:.0f}", turn.grade.band
        rows.append([i, turn.question, score, band])
    return rows


def summary_chart_rows(summary: Summary) -> list[dict[str, object]]:
    """Average per criterion, in the rubrics' order (the overall is shown as a number, not a bar)."""
    return [{"criterion": k.replace("_", " "), "score": v} for k, v in summary.criteria.items()]


# -- history --------------------------------------------------------------------------------------


def sessions_rows(rows: list) -> list[list[object]]:
    """The History tab's table of saved sessions (store.SessionRow items)."""
    return [
        [
            r.id[:8],
            f"{r.started_at:%Y-%m-%d %H:%M}",
            "finished" if r.finished_at else "unfinished",
            f"{r.answered}/{r.total}",
            "-" if r.overall is None else f"{r.overall:.0f}",
            ", ".join(r.banks),
        ]
        for r in rows
    ]


def progress_rows(points: list) -> list[dict[str, object]]:
    """Score over time, one series for the overall (scaled to 0-5) and one per criterion."""
    rows: list[dict[str, object]] = []
    for n, p in enumerate(points, start=1):
        when = f"{n}: {p.started_at:%m-%d %H:%M}"  # one category per session, in order
        rows.append({"started": when, "score": round(p.overall / 20, 2), "series": "overall (÷20)"})
        rows += [{"started": when, "score": v, "series": k.replace("_", " ")} for k, v in p.criteria.items()]
    return rows


def question_stats_rows(stats: list) -> list[list[object]]:
    def fmt(v: float | None, signed: bool = False) -> str:
        return "-" if v is None else (f"{v:+.0f}" if signed else f"{v:.0f}")

    return [[s.question, s.attempts, fmt(s.last_score), fmt(s.best_score), fmt(s.trend, True)] for s in stats]
