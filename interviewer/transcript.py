"""The transcript contract: a whole session, exported to JSON (re-importable), Markdown and printable HTML.

Everything the candidate typed is shown literally: fenced in Markdown, escaped in HTML.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .bank import extract_key_points
from .grading.models import FollowUp, Grade, flag_words, grader_label
from .tokens import Usage

SCHEMA = "interviewer.transcript/1"


class TurnRecord(BaseModel):
    question_id: str
    question: str
    reference: str
    kind: Literal["technical", "experience"]
    answer: str | None = None
    """Exactly what the candidate typed, never trimmed or cut."""
    followups: list[FollowUp] = []
    hints: list[str] = []
    skipped: bool = False
    grade: Grade | None = None
    asked_at: datetime | None = None
    answered_at: datetime | None = None


class QuestionScore(BaseModel):
    question_id: str
    question: str
    overall: float


class Summary(BaseModel):
    total: int
    """Questions asked."""
    answered: int
    skipped: int
    overall: float | None
    """Average over asked questions; a skipped question counts as 0."""
    criteria: dict[str, float]
    """Average score (out of 5) of each criterion over the graded answers."""
    strongest: list[QuestionScore]
    weakest: list[QuestionScore]
    study: list[str]
    """What to study: key points missed in the weakest answers."""


def summarise(turns: list[TurnRecord]) -> Summary:
    """Overall and per-criterion averages, strongest and weakest questions, and what to study."""
    asked = [t for t in turns if t.skipped or t.grade is not None]
    scores = [0.0 if t.grade is None else t.grade.overall for t in asked]
    criteria: dict[str, list[float]] = {}
    for turn in asked:
        for c in turn.grade.criteria if turn.grade else []:
            criteria.setdefault(c.name, []).append(c.score)
    ranked = sorted(
        (QuestionScore(question_id=t.question_id, question=t.question, overall=s) for t, s in zip(asked, scores)),
        key=lambda q: q.overall,
    )
    n_weak = min(3, (len(ranked) + 1) // 2)
    weakest = ranked[:n_weak]
    strongest = list(reversed(ranked[n_weak:]))[:3]
    study: list[str] = []
    for q in weakest:
        turn = next(t for t in asked if t.question_id == q.question_id)
        missed = turn.grade.missed if turn.grade else extract_key_points(turn.reference)
        study += [p for p in missed[:3] if p not in study]
    return Summary(
        total=len(turns),
        answered=sum(t.grade is not None for t in asked),
        skipped=sum(t.skipped for t in asked),
        overall=round(sum(scores) / len(scores), 1) if scores else None,
        criteria={k: round(sum(v) / len(v), 2) for k, v in criteria.items()},
        strongest=strongest,
        weakest=weakest,
        study=study,
    )


class Transcript(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["interviewer.transcript/1"] = Field(SCHEMA, alias="schema")
    session_id: str
    started_at: datetime
    finished_at: datetime | None = None
    settings: dict[str, Any] = {}
    grader: str
    turns: list[TurnRecord] = []
    summary: Summary | None = None
    usage: Usage = Usage()

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        return cls.model_validate_json(text)

    def to_markdown(self) -> str:
        return render_markdown(self)

    def render(self, fmt: str) -> str:
        """The transcript as "markdown" (or "md"), "json" or "html"."""
        renderers = {"markdown": self.to_markdown, "md": self.to_markdown, "json": self.to_json, "html": self.to_html}
        if fmt not in renderers:
            raise ValueError(f"unknown transcript format {fmt!r}: use markdown, json or html")
        return renderers[fmt]()

    def to_html(self) -> str:
        return render_html(self)


# -- Markdown -------------------------------------------------------------------------------------


def literal_block(text: str) -> str:
    """Fence text so that nothing in it (headings, tables, fences) is read as Markdown."""
    longest = max((len(m) for m in re.findall(r"~+", text)), default=0)
    fence = "~" * max(4, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def table_cell(text: object) -> str:
    """A value that cannot break a Markdown table row."""
    return html.escape(str(text), quote=False).replace("|", "&#124;").replace("\r", " ").replace("\n", " ")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def render_markdown(tr: Transcript) -> str:
    out = [
        "# Interview transcript",
        "",
        f"- Session: `{tr.session_id}`",
        f"- Started: {_when(tr.started_at)}; finished: {_when(tr.finished_at) if tr.finished_at else 'not finished'}",
        f"- Grader: {grader_label(tr.grader)}",
        f"- Mode: {tr.settings.get('mode', '-')}; questions: {len(tr.turns)}",
        "",
    ]
    if tr.summary and tr.summary.overall is not None:
        out += ["## Summary", "", f"Overall: **{tr.summary.overall:.0f}/100** "
                f"({tr.summary.answered} answered, {tr.summary.skipped} skipped)", ""]
        if tr.summary.criteria:
            out += ["| Criterion | Average (of 5) |", "|---|---|"]
            out += [f"| {table_cell(k)} | {v:.1f} |" for k, v in tr.summary.criteria.items()]
            out.append("")
        if tr.summary.study:
            out += ["What to study:", ""] + [f"- {table_cell(s)}" for s in tr.summary.study] + [""]
    for i, turn in enumerate(tr.turns, start=1):
        out += [f"## Question {i}: {table_cell(turn.question)}", "", f"*{turn.question_id}, {turn.kind}*", ""]
        if turn.hints:
            out += ["Hints taken:", ""] + [f"- {table_cell(h)}" for h in turn.hints] + [""]
        if turn.skipped:
            out += ["*Skipped.*", ""]
        elif turn.answer is None:
            out += ["*Not answered.*", ""]
        else:
            out += ["**Answer:**", "", literal_block(turn.answer), ""]
        for f in turn.followups:
            out += [f"**Follow-up:** {table_cell(f.question)}", ""]
            out += [literal_block(f.answer), ""] if f.answer is not None else ["*Not answered.*", ""]
        if turn.grade:
            out += _markdown_grade(turn.grade)
        out += ["<details><summary>Reference answer</summary>", "", turn.reference, "", "</details>", ""]
    if tr.usage.prompt_tokens:
        cost = f", about ${tr.usage.estimated_cost_usd:.4f}" if tr.usage.estimated_cost_usd is not None else ""
        out += [f"*Tokens: {tr.usage.prompt_tokens} prompt, {tr.usage.completion_tokens} completion{cost}.*", ""]
    return "\n".join(out)


def _markdown_grade(g: Grade) -> list[str]:
    out = [f"**Score: {g.overall:.0f}/100** ({g.band}) - {grader_label(g)}", ""]
    if g.fallback_reason:
        out += [f"> LLM grading failed ({table_cell(g.fallback_reason)}); graded offline.", ""]
    if g.flags:
        out += [f"Flags: {', '.join(g.flags)}", ""]
    if g.criteria:
        out += ["| Criterion | Score | Weight | Justification |", "|---|---|---|---|"]
        out += [
            f"| {table_cell(c.name)} | {c.score:g}/{c.max} | {c.weight:g} | {table_cell(c.justification)} |"
            for c in g.criteria
        ]
        out.append("")
    for title, items in (
        ("Covered", g.covered),
        ("Missed", g.missed),
        ("Strengths", g.strengths),
        ("Factual errors", g.factual_errors),
        ("Suggestions", g.suggestions),
    ):
        if items:
            out += [f"{title}:", ""] + [f"- {table_cell(x)}" for x in items] + [""]
    if g.improved_answer:
        out += ["Improved answer:", "", literal_block(g.improved_answer), ""]
    return out


# -- HTML -----------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.6rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}.score{font-weight:600}.muted{color:#666}.notice{color:#8a4b00}
@media print{body{margin:0;max-width:none}h2{break-before:auto;break-after:avoid}pre,table{break-inside:avoid}}
"""


def escape_html(text: object) -> str:
    """Text made safe for HTML, quotes included (the exports and the web app share it)."""
    return html.escape(str(text), quote=True)


_e = escape_html  # short, for the many f-strings below


def render_html(tr: Transcript) -> str:
    body = [
        "<h1>Interview transcript</h1>",
        f"<p class=muted>Session {_e(tr.session_id)} · started {_e(_when(tr.started_at))} · "
        f"{_e(grader_label(tr.grader))}</p>",
    ]
    if tr.summary and tr.summary.overall is not None:
        body.append(f"<p class=score>Overall: {tr.summary.overall:.0f}/100 ({tr.summary.answered} answered, "
                    f"{tr.summary.skipped} skipped)</p>")
        if tr.summary.criteria:
            rows = "".join(f"<tr><td>{_e(k)}</td><td>{v:.1f}</td></tr>" for k, v in tr.summary.criteria.items())
            body.append(f"<table><tr><th>Criterion</th><th>Average (of 5)</th></tr>{rows}</table>")
    for i, turn in enumerate(tr.turns, start=1):
        body.append(f"<h2>Question {i}: {_e(turn.question)}</h2>")
        if turn.hints:
            body.append(f"<p class=muted>Hints taken: {_e('; '.join(turn.hints))}</p>")
        if turn.skipped:
            body.append("<p><em>Skipped.</em></p>")
        elif turn.answer is not None:
            body.append(f"<h3>Answer</h3><pre>{_e(turn.answer)}</pre>")
        for f in turn.followups:
            body.append(f"<p><strong>Follow-up:</strong> {_e(f.question)}</p>")
            if f.answer is not None:
                body.append(f"<pre>{_e(f.answer)}</pre>")
        if turn.grade:
            body.append(_html_grade(turn.grade))
        body.append(f"<details><summary>Reference answer</summary><pre>{_e(turn.reference)}</pre></details>")
    title = f"Interview transcript {_e(tr.session_id)}"
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")


def _html_grade(g: Grade) -> str:
    parts = [f"<p class=score>Score: {g.overall:.0f}/100 ({_e(g.band)}) · {_e(grader_label(g))}</p>"]
    if g.fallback_reason:
        parts.append(f"<p class=notice>LLM grading failed ({_e(g.fallback_reason)}); graded offline.</p>")
    if g.flags:
        parts.append(f"<p class=muted>Note: {_e(flag_words(g.flags))}</p>")
    if g.criteria:
        rows = "".join(
            f"<tr><td>{_e(c.name)}</td><td>{c.score:g}/{c.max}</td><td>{c.weight:g}</td><td>{_e(c.justification)}</td></tr>"
            for c in g.criteria
        )
        parts.append(f"<table><tr><th>Criterion</th><th>Score</th><th>Weight</th><th>Justification</th></tr>{rows}</table>")
    if g.key_points:
        items = "".join(
            f"<li>{_e(k.status)}: {_e(k.point)}" + (f" <q>{_e(k.evidence)}</q>" if k.evidence else "") + "</li>"
            for k in g.key_points
        )
        parts.append(f"<p>Key points:</p><ul>{items}</ul>")
    for title, items in (("Strengths", g.strengths), ("Factual errors", g.factual_errors),
                         ("Suggestions", g.suggestions)):
        if items:
            parts.append(f"<p>{title}:</p><ul>{''.join(f'<li>{_e(x)}</li>' for x in items)}</ul>")
    if g.improved_answer:
        parts.append(f"<details><summary>Improved answer</summary><pre>{_e(g.improved_answer)}</pre></details>")
    return "".join(parts)
