"""How grades and transcripts are shown to people: the terminal, the Markdown and HTML exports, and the web app.

A grade is turned into a `GradeView` once (`grade_view`): its words, rows and lists, ready to show. Jinja
templates in `interviewer/templates/` render that view as plain text (`*.txt.j2`), Markdown (`*.md.j2`) or HTML
(`*.html.j2`); the whole transcript exports are templates too.

Whatever the candidate (or a grader) wrote is shown literally: the HTML templates are autoescaped, and the
Markdown templates pass every such value through the `literal_block` (fenced) or `table_cell` (escaped) filter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any, Literal

import jinja2

from .grading.models import (
    CORRECTNESS_NOT_ASSESSED,
    EMPTY_ANSWER,
    INJECTION,
    NO_ANSWER,
    NOT_REGRADED,
    OFF_TOPIC,
    OFFLINE_LABEL,
    TRUNCATED,
    Grade,
    GraderId,
    hint_cost_words,
)
from .hints import describe as describe_hint
from .passages import reference_passage
from .transcript import Summary, Transcript, TurnRecord

MAX_MISSED_SHOWN = 8
"""The terminal lists this many missed key points, then says how many more there are."""

FLAG_WORDS = {
    EMPTY_ANSWER: "empty answer",
    NO_ANSWER: "not an answer",
    TRUNCATED: "answer cut to the grading budget (the transcript keeps it whole)",
    INJECTION: "the answer seems to address the grader; such text earns nothing",
    CORRECTNESS_NOT_ASSESSED: "correctness not assessed (offline grader)",
    OFF_TOPIC: "the reply seems to answer a different question",
    NOT_REGRADED: "not re-graded: the new grader failed on this answer, so its earlier grade is kept",
}

KEY_POINT_ICONS = {"covered": "✓", "partial": "◐", "missed": "✗", "contradicted": "⚠", "hinted": "💡", "recovered": "↻"}


# -- words ----------------------------------------------------------------------------------------


def counts(summary: Summary) -> str:
    """ "3 answered, 1 skipped, 2 retries, 2 key points recovered after follow-ups"."""
    parts = [f"{summary.answered} answered", f"{summary.skipped} skipped"]
    if summary.retries:
        parts.append(plural(summary.retries, "retry", "retries"))
    if summary.recovered:
        parts.append(f"{plural(summary.recovered, 'key point')} recovered after follow-ups")
    if summary.unsent:
        parts.append(f"{plural(summary.unsent, 'draft')} kept unsent")
    return ", ".join(parts)


def recovered_words(points: Sequence[str]) -> str:
    """ "Recovered after the follow-up: 2 points (mitigation strategies, monitoring)"."""
    if not points:
        return ""
    return f"Recovered after the follow-up: {plural(len(points), 'point')} ({', '.join(points)})"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 question`, `2 questions` (`many`: the plural when it is not the word and an s)."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def grader_label(grade_or_name: Grade | str) -> str:
    """How a score's source is named wherever a score appears."""
    grader = GraderId.parse(grade_or_name.grader if isinstance(grade_or_name, Grade) else grade_or_name)
    if grader.is_offline:
        return f"{OFFLINE_LABEL} ({grader.reads})" if grader.detail else OFFLINE_LABEL
    return f"LLM grader ({grader.detail})"


def flag_words(flags: list[str]) -> str:
    """Flags in plain words, for people."""
    return "; ".join(FLAG_WORDS.get(f, f) for f in flags)


def _grading_failed(reason: str) -> str:
    return f"LLM grading failed ({reason})"


def fallback_notice(reason: str) -> str:
    """What the candidate is told when the LLM grader failed and the offline grader scored the answer."""
    return f"{_grading_failed(reason)}; this answer was graded offline."


def overall_headline(summary: Summary | None, turns: Sequence[TurnRecord]) -> str:
    """A session's overall as named everywhere: key-point coverage when the offline grader scored it."""
    if summary is None or summary.overall is None:
        return "Overall: -"
    grades = [t.grade for t in turns if t.grade is not None]
    offline = sum(g.is_offline for g in grades)
    value = f"{summary.overall:.0f}/100"
    hints = hint_cost_words(summary.hint_points, summary.hints)
    if grades and offline == len(grades):
        return f"Overall key-point coverage {value} (correctness not checked{', ' + hints if hints else ''})"
    if offline:
        mixed = f"{offline} of {len(grades)} answers scored by key-point coverage only"
        return f"Overall {value} ({mixed}{'; ' + hints if hints else ''})"
    return f"Overall {value}" + (f" ({hints})" if hints else "")


def followup_fallback_notice(reason: str) -> str:
    """What the candidate is told when the LLM could not write the follow-up question."""
    return f"The LLM could not write a follow-up ({reason}); this is the offline one."


def history_notice(problem: str | None) -> str:
    """What the candidate is told when the history stops (or starts again) being saved."""
    if problem is None:
        return "The history is being saved again."
    return (f"The history is not being saved ({problem}). Your answers stay in this session and its downloads; "
            "saving is tried again at every answer.")  # fmt: skip


def graded_by(transcript: Transcript) -> str:
    """Which grader really scored the answers, saying how many fell back to the offline grader and why."""
    grades = [t.grade for t in transcript.turns if t.grade is not None]
    fell_back = [g for g in grades if g.fallback_reason]
    text = grader_label(transcript.grader)
    if fell_back:
        reasons = "; ".join(dict.fromkeys(g.fallback_reason or "" for g in fell_back))
        text += f". {len(fell_back)} of {len(grades)} answers were graded offline because {_grading_failed(reasons)}"
    return text


# -- the view of a grade --------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    name: str
    """As the rubric names it (`factual_correctness`)."""
    label: str
    """For people (`factual correctness`)."""
    score: float
    score_value: str
    """The score alone (`3.5`)."""
    score_text: str
    """The score out of its maximum (`3.5/5`)."""
    percent: str
    """The score as a percentage of its maximum, for a bar (`70`)."""
    weight_text: str
    justification: str


@dataclass(frozen=True)
class KeyPointRow:
    point: str
    status: str
    icon: str
    evidence: str | None
    reference: str | None = None
    """For a point not (fully) covered: the reference's own sentence about it, when it says more than the point."""
    where: str | None = None
    """Where that sentence sits in the reference (`under "Properties"`)."""

    @property
    def to_learn(self) -> bool:
        return self.status in TO_LEARN


TO_LEARN = ("missed", "partial", "contradicted", "hinted")
"""Key-point statuses whose reference sentence is shown: what the candidate still has to learn."""


def _once(rows: tuple[KeyPointRow, ...]) -> tuple[KeyPointRow, ...]:
    """Each reference sentence shown with the first point it explains; the others from it say only where."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        repeated = row.reference is not None and row.reference in seen
        seen |= {row.reference} if row.reference else set()
        kept.append(replace(row, reference=None) if repeated else row)
    return tuple(kept)


def key_point_row(status: str, point: str, evidence: str | None, reference: str | None) -> KeyPointRow:
    passage = reference_passage(point, reference) if reference and status in TO_LEARN else None
    says_more = passage is not None and len(passage.text) > len(point) + 10 and not passage.is_list
    return KeyPointRow(
        point,
        status,
        KEY_POINT_ICONS[status],
        evidence,  # fmt: skip
        passage.text if passage and says_more else None,
        passage.where if passage else None,
    )


@dataclass(frozen=True)
class GradeView:
    """Everything shown of one grade, in words, in the order it is shown."""

    overall: float
    overall_text: str
    """`42/100`."""
    headline: str
    """The score as named everywhere: "Key-point coverage 42/100 (correctness not checked)" offline,
    "Score: 42/100 (partial)" from an LLM."""
    penalty: str
    """"−15 for 2 hints" ("" without hints): already taken off `overall`."""
    recovered_text: str
    """"Recovered after the follow-up: 2 points (a, b)" ("" when none was)."""
    coverage_only: bool
    """An offline grade: a measure of key-point coverage, shown without a verdict word."""
    band: str
    band_css: str
    """The band as a CSS class suffix (`no-credit`)."""
    grader: str
    """The grader's label; the offline one says that correctness is not assessed."""
    flags: tuple[str, ...]
    """The flags in words, leaving out "correctness not assessed": the grader's label, shown with every score,
    already says so."""
    flags_text: str
    notice: str | None
    """The fallback notice when the LLM grader failed."""
    criteria: tuple[CriterionRow, ...]
    key_points: tuple[KeyPointRow, ...]
    key_points_covered: int
    strengths: tuple[str, ...]
    factual_errors: tuple[str, ...]
    suggestions: tuple[str, ...]
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    partial: tuple[str, ...]
    """Points covered in part: listed apart, in every format (they are neither covered nor missed)."""
    improved_answer: str | None
    """None when the grader gave none (or only blanks)."""
    usage_text: str | None = None
    """What this answer's LLM calls spent, in words (None offline)."""


def grade_view(grade: Grade, reference: str | None = None) -> GradeView:
    """The one place a grade is put into words; with the reference, each point still to learn says where the
    reference covers it."""
    flags = tuple(FLAG_WORDS.get(f, f) for f in grade.flags if f != CORRECTNESS_NOT_ASSESSED)
    criteria = tuple(
        CriterionRow(
            name=c.name,
            label=c.name.replace("_", " "),
            score=c.score,
            score_value=f"{c.score:g}",
            score_text=f"{c.score:g}/{c.max}",
            percent=f"{c.score / c.max * 100:.0f}",
            weight_text=f"{c.weight:g}",
            justification=c.justification,
        )
        for c in grade.criteria
    )
    key_points = _once(tuple(key_point_row(k.status, k.point, k.evidence, reference) for k in grade.key_points))
    improved = grade.improved_answer if grade.improved_answer and grade.improved_answer.strip() else None
    return GradeView(
        overall=grade.overall,
        overall_text=f"{grade.overall:.0f}/100",
        headline=grade.headline,
        penalty=grade.penalty_words,
        coverage_only=grade.is_offline,
        band=grade.band,
        band_css=grade.band.replace(" ", "-"),
        grader=grader_label(grade),
        flags=flags,
        flags_text="; ".join(flags),
        notice=fallback_notice(grade.fallback_reason) if grade.fallback_reason else None,
        criteria=criteria,
        key_points=key_points,
        key_points_covered=sum(k.status in ("covered", "recovered") for k in grade.key_points),
        recovered_text=recovered_words(grade.recovered),
        strengths=tuple(grade.strengths),
        factual_errors=tuple(grade.factual_errors),
        suggestions=tuple(grade.suggestions),
        covered=tuple(grade.covered),
        missed=tuple(grade.missed),
        partial=tuple(k.point for k in grade.key_points if k.status == "partial"),
        improved_answer=improved,
        usage_text=grade.usage.words if grade.usage else None,
    )


@dataclass(frozen=True)
class TurnView:
    """One question of a transcript as shown: its number, the turn itself, and its grade's view."""

    number: int | None
    turn: TurnRecord
    grade: GradeView | None
    hints: tuple[str, ...] = ()
    """Each hint taken, with its rung and cost."""
    change: AttemptChange | None = None
    """For a further attempt: what changed against the attempt before."""


def turn_view(turn: TurnRecord, number: int | None = None, previous: TurnRecord | None = None) -> TurnView:
    hints = tuple(describe_hint(h) for h in turn.hints)
    grade = grade_view(turn.grade, turn.reference) if turn.grade else None
    return TurnView(number, turn, grade, hints, attempt_change(previous, turn))


def turn_views(turns: Sequence[TurnRecord]) -> list[TurnView]:
    """Every turn as shown, numbered by its question (a retry keeps its question's number) and compared with the
    attempt before it."""
    return [turn_view_in(turns, i) for i in range(len(turns))]


def turn_view_in(turns: Sequence[TurnRecord], index: int) -> TurnView:
    """The view of `turns[index]` among its session's turns: its question's number and the attempt before it."""
    turn, before = turns[index], turns[:index]
    asked = list(dict.fromkeys(t.question_id for t in turns[: index + 1]))  # questions in the order first asked
    previous = next((t for t in reversed(before) if t.question_id == turn.question_id), None)
    return turn_view(turn, asked.index(turn.question_id) + 1, previous)


# -- literal text ---------------------------------------------------------------------------------


def literal_block(text: str) -> str:
    """Fence text so that nothing in it (headings, tables, fences) is read as Markdown."""
    longest = max((len(m) for m in re.findall(r"~+", text)), default=0)
    fence = "~" * max(4, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def table_cell(text: object) -> str:
    """A value that cannot break a Markdown table row (nor a list item or a heading line)."""
    return html.escape(str(text), quote=False).replace("|", "&#124;").replace("\r", " ").replace("\n", " ")


def escape_html(text: object) -> str:
    """Text made safe for HTML, quotes included (for HTML built outside the templates)."""
    return html.escape(str(text), quote=True)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


# -- templates ------------------------------------------------------------------------------------


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("interviewer", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when)
    if not autoescape:
        env.filters.update(literal_block=literal_block, table_cell=table_cell)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render one of interviewer/templates: `*.html.j2` autoescaped, `*.md.j2` and `*.txt.j2` as they are."""
    if not name.endswith((".html.j2", ".md.j2", ".txt.j2")):
        raise ValueError(f"{name}: a template's name ends with .html.j2, .md.j2 or .txt.j2")
    return _environment(name.endswith(".html.j2")).get_template(name).render(**context)


GradeFormat = Literal["text", "markdown", "html"]
_GRADE_TEMPLATES = {"text": "grade.txt.j2", "markdown": "grade.md.j2", "html": "grade.html.j2"}


def render_grade(grade: Grade | GradeView, fmt: GradeFormat) -> str:
    """One grade as plain text (the terminal), Markdown or HTML (as in the exports)."""
    if fmt not in _GRADE_TEMPLATES:
        raise ValueError(f"unknown grade format {fmt!r}: use text, markdown or html")
    view = grade if isinstance(grade, GradeView) else grade_view(grade)
    return render_template(_GRADE_TEMPLATES[fmt], g=view, max_missed=MAX_MISSED_SHOWN).strip("\n")


def format_grade(grade: Grade, reference: str | None = None) -> str:
    """One grade for the terminal; with its question's reference, what the reference says of each point missed."""
    return render_grade(grade_view(grade, reference), "text")


# -- transcripts ----------------------------------------------------------------------------------

TRANSCRIPT_SUFFIXES = {"markdown": ".md", "md": ".md", "json": ".json", "html": ".html"}


def _check_format(fmt: str) -> None:
    if fmt not in TRANSCRIPT_SUFFIXES:
        raise ValueError(f"unknown transcript format {fmt!r}: use markdown, json or html")


def render_transcript(transcript: Transcript, fmt: str) -> str:
    """The transcript as "markdown" (or "md"), "json" (re-importable) or "html" (printable)."""
    _check_format(fmt)
    if fmt == "json":
        return transcript.to_json()
    context = {
        "tr": transcript,
        "summary": transcript.summary,
        "grader": grader_label(transcript.grader),
        "overall": overall_headline(transcript.summary, transcript.turns),
        "counts": counts(transcript.summary) if transcript.summary else "",
        "turns": turn_views(transcript.turns),
        "max_missed": MAX_MISSED_SHOWN,
    }
    if fmt == "html":
        return render_template("transcript.html.j2", **context)
    return render_template("transcript.md.j2", **context).rstrip("\n") + "\n"


def transcript_filename(transcript: Transcript, fmt: str) -> str:
    """The one name of a transcript's file, in the terminal and the web app: when it started, and its id."""
    _check_format(fmt)
    return f"interview-{transcript.started_at:%Y%m%d-%H%M%S}-{transcript.session_id[:8]}{TRANSCRIPT_SUFFIXES[fmt]}"


# -- further attempts ------------------------------------------------------------------------------


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
