"""What the web app shows, as escaped HTML and Markdown strings and plain tables (no Gradio in here).

The feedback cards, the summary and the question table are rendered from the presentation layer's views
through the autoescaped templates in interviewer/templates/ (`_web.html.j2` holds the pieces). Whatever the
candidate typed is escaped before it reaches the page, so it is shown as text and never run as HTML or script.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .bank import Bank
from .grading.models import GraderId
from .presentation import counts, graded_by, overall_headline, render_template, turn_view_in, turn_views
from .presentation import escape_html as e
from .regrade import RegradeReport
from .transcript import Summary, Transcript, TurnRecord, last_attempts

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def literal_markdown(text: str) -> str:
    """Text that a Markdown renderer shows exactly as typed (HTML escaped, Markdown syntax escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def notice_html(text: str) -> str:
    """A line the reader must notice, in place of what could not be shown."""
    return f'<p class="iv-notice-box" role="status">{e(text)}</p>'


def progress_html(done: int, total: int, label: str) -> str:
    pct = 0 if total == 0 else round(100 * done / total)
    return (
        f'<div class="iv-progress" role="progressbar" aria-label="{e(label)}" aria-valuemin="0" '
        f'aria-valuemax="{total}" aria-valuenow="{done}"><div class="iv-progress-label">{e(label)}</div>'
        f'<div class="iv-progress-track"><div class="iv-progress-fill" style="width:{pct}%"></div></div></div>'
    )


def feedback_html(turns: Sequence[TurnRecord], turn: TurnRecord, collapsed: bool = False, open_: bool = False) -> str:
    """The feedback card for one graded (or skipped) turn of `turns`; `collapsed` folds it under its title and
    score. A further attempt says what changed against the one before."""
    view = turn_view_in(turns, list(turns).index(turn))
    return render_template("feedback.html.j2", t=view, collapsed=collapsed, open_=open_)


def feedback_cards_html(turns: Sequence[TurnRecord]) -> str:
    """Every turn's feedback card, in order (a past session opened in the History tab)."""
    return "".join(
        render_template("feedback.html.j2", t=view, collapsed=False, open_=False) for view in turn_views(turns)
    )


def summary_html(summary: Summary, transcript: Transcript) -> str:
    return render_template(
        "summary.html.j2",
        summary=summary,
        overall=overall_headline(summary, transcript.turns),
        counts=counts(summary),
        graded_by=graded_by(transcript),
        weakest=[f"{q.question} ({q.overall:.0f}/100{_tries(q.attempts)})" for q in summary.weakest],
        strongest=[f"{q.question} ({q.overall:.0f}/100{_tries(q.attempts)})" for q in summary.strongest],
        usage=transcript.usage,
        criteria=summary_chart_rows(transcript),  # per rubric: technical and STAR criteria are not averaged together
    )


def _tries(attempts: int) -> str:
    return f", last of {attempts} attempts" if attempts > 1 else ""


def summary_details_html(transcript: Transcript, all_open: bool) -> str:
    """Under the summary: the table of questions, then every feedback card, folded unless `all_open` (the last
    one is always open)."""
    turns = turn_views(transcript.turns)
    return render_template("summary_details.html.j2", rows=question_table(transcript), turns=turns, all_open=all_open)


def question_table_html(transcript: Transcript) -> str:
    return render_template("question_table.html.j2", rows=question_table(transcript))


def question_table(transcript: Transcript) -> list[list[object]]:
    """One row per attempt, numbered by its question (a retry keeps its question's number and says which try)."""
    rows: list[list[object]] = []
    for view in turn_views(transcript.turns):
        turn = view.turn
        if turn.skipped:
            score, band = "skipped", ""
        elif turn.grade is None:
            score, band = ("not sent (draft kept)" if turn.draft else "-"), ""
        else:
            score = f"{turn.grade.overall:.0f}"
            band = "key-point coverage" if turn.grade.is_offline else turn.grade.band
        rows.append([view.number, turn.question + turn.again, score, band])
    return rows


RUBRIC_NAMES = {"technical": "technical questions", "experience": "experience questions (STAR)"}


def summary_chart_rows(transcript: Transcript) -> list[dict[str, object]]:
    """Average per criterion over the graded answers, each rubric its own series: technical criteria and the
    STAR criteria of experience questions measure different things (the overall is a number, not a bar)."""
    scores: dict[tuple[str, str], list[float]] = {}
    for turn in last_attempts(transcript.turns):
        for c in turn.grade.criteria if turn.grade else []:
            scores.setdefault((RUBRIC_NAMES[turn.kind], c.name.replace("_", " ")), []).append(c.score)
    return [
        {"criterion": name, "score": round(sum(v) / len(v), 2), "rubric": rubric}
        for (rubric, name), v in scores.items()
    ]


# -- history --------------------------------------------------------------------------------------


def sessions_rows(rows: list) -> list[list[object]]:
    """The History tab's table of saved sessions (store.SessionRow items)."""
    return [
        [
            r.id[:8],
            f"{r.started_at:%Y-%m-%d %H:%M}",
            f"re-grade of {r.regrade_of[:8]}" if r.regrade_of else "finished" if r.finished_at else "unfinished",
            f"{r.answered}/{r.total}",
            "-" if r.overall is None else f"{r.overall:.0f}",
            _score_kind(r.grader),
            ", ".join(r.banks),
        ]
        for r in rows
    ]


def _score_kind(grader: str) -> str:
    """What a session's scores measure: key-point coverage (offline grader) or an LLM's rubric score."""
    grader_id = GraderId.parse(grader)
    return f"key-point coverage ({grader_id.reads})" if grader_id.is_offline else f"rubric score ({grader_id.detail})"


def progress_rows(points: list) -> list[dict[str, object]]:
    """Score over time: the overall (scaled to 0-5) as its own series per grader, since offline coverage and an
    LLM's rubric score are not the same measure, and one series per criterion."""
    rows: list[dict[str, object]] = []
    for n, p in enumerate(points, start=1):
        when = f"{n}: {p.started_at:%m-%d %H:%M}"  # one category per session, in order
        series = "coverage, offline (÷20)" if GraderId.parse(p.grader).is_offline else "overall, LLM (÷20)"
        rows.append({"started": when, "score": round(p.overall / 20, 2), "series": series})
        rows += [{"started": when, "score": v, "series": k.replace("_", " ")} for k, v in p.criteria.items()]
    return rows


def question_stats_rows(stats: list) -> list[list[object]]:
    def fmt(v: float | None, signed: bool = False) -> str:
        return "-" if v is None else (f"{v:+.0f}" if signed else f"{v:.0f}")

    return [[s.question, s.attempts, fmt(s.last_score), fmt(s.best_score), fmt(s.trend, True)] for s in stats]


def regrade_html(report: RegradeReport) -> str:
    """A re-grade's side-by-side comparison for the History tab."""
    return render_template("regrade.html.j2", r=report)


def draft_preview_html(bank: Bank) -> str:
    """A drafted bank's questions and reference answers, for review before using it."""
    return render_template("draft_preview.html.j2", bank=bank)
