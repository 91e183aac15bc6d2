"""The presentation layer: one view of a grade, shown the same way in the terminal, Markdown, HTML and the web
app; candidate text shown literally everywhere; one transcript file name."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interviewer import webview
from interviewer.grading.models import CriterionScore, FollowUp, Grade, KeyPoint
from interviewer.presentation import (
    FLAG_WORDS,
    fallback_notice,
    format_grade,
    grade_view,
    graded_by,
    grader_label,
    render_grade,
    render_template,
    render_transcript,
    transcript_filename,
)
from interviewer.transcript import Transcript, TurnRecord, summarise

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
REASON = "could not connect to the LLM server at 127.0.0.1:9"


def rich_grade(**changes) -> Grade:
    fields = dict(
        overall=42,
        grader="offline",
        criteria=[
            CriterionScore(name="factual_correctness", score=3, weight=0.6, justification=f"Mostly {XSS}"),
            CriterionScore(name="depth", score=2.5, weight=0.4, justification="one | two\n| three |"),
        ],
        key_points=[
            KeyPoint(point="Bias", status="covered", evidence=f"I said {XSS}"),
            KeyPoint(point="Privacy", status="missed"),
        ],
        covered=["Bias"],
        missed=["Privacy"],
        strengths=[f"Clear {XSS}"],
        factual_errors=["BPE is not a library"],
        suggestions=["Name a mitigation"],
        improved_answer="## Better\n```\ncode\n```\n| a | b |",
        fallback_reason=REASON,
        flags=["truncated_answer", "possible_prompt_injection", "correctness_not_assessed"],
    )
    return Grade(**(fields | changes))


def transcript(answer: str = f"My answer {XSS}\n| a | b |\n## 9. Fake", grade: Grade | None = None) -> Transcript:
    turns = [
        TurnRecord(question_id="q1", question="What is <b>bias</b>?", reference="**Bias:** skewed data.",
                   kind="technical", answer=answer, grade=grade or rich_grade(),
                   followups=[FollowUp(question="And privacy?", answer=f"Leaks {XSS}")], hints=["Think of data"]),
        TurnRecord(question_id="q2", question="Second?", reference="Ref.", kind="technical", skipped=True),
    ]
    return Transcript(session_id="0123456789abcdef", started_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
                      grader="llm:gpt-test", settings={"mode": "practice"}, turns=turns, summary=summarise(turns))


class Tags(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


# -- one view, every format -------------------------------------------------------------------------


def test_grade_view_puts_the_grade_in_words():
    v = grade_view(rich_grade())
    assert (v.overall_text, v.band, v.band_css) == ("42/100", "partial", "partial")
    assert v.grader == grader_label("offline") and "correctness not assessed" in v.grader
    assert v.flags == (FLAG_WORDS["truncated_answer"], FLAG_WORDS["possible_prompt_injection"])
    assert v.notice == fallback_notice(REASON)
    assert [(c.label, c.score_text, c.percent, c.weight_text) for c in v.criteria] == [
        ("factual correctness", "3/5", "60", "0.6"), ("depth", "2.5/5", "50", "0.4")]
    assert [(k.status, k.icon, k.evidence) for k in v.key_points] == [("covered", "✓", f"I said {XSS}"),
                                                                    ("missed", "✗", None)]
    assert v.key_points_covered == 1
    assert grade_view(rich_grade(overall=0)).band_css == "no-credit"
    assert grade_view(rich_grade(improved_answer="  \n ")).improved_answer is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.band = "excellent"  # type: ignore[misc]


def _every_rendering(grade: Grade) -> dict[str, str]:
    """The grade as the candidate sees it: terminal, Markdown and HTML export, web card (text content)."""
    turn = TurnRecord(question_id="q", question="Q?", reference="R.", kind="technical", answer="A.", grade=grade)
    return {
        "text": render_grade(grade, "text"),
        "markdown": html.unescape(render_grade(grade, "markdown")),
        "html": Tags(render_grade(grade, "html")).all_text,
        "web": Tags(webview.feedback_html([turn], turn)).all_text,
    }


def test_one_grade_shows_the_same_score_band_flags_and_notice_in_every_format():
    for name, shown in _every_rendering(rich_grade()).items():
        # offline: named as coverage in every format, never with the verdict word of its band
        assert "Key-point coverage" in shown and "42/100" in shown and "partial" not in shown, name
        assert grader_label("offline") in shown, name
        assert fallback_notice(REASON) in shown, name
        assert FLAG_WORDS["truncated_answer"] in shown and FLAG_WORDS["possible_prompt_injection"] in shown, name
        # the offline grader's label already says it: the flag is not repeated
        assert FLAG_WORDS["correctness_not_assessed"] not in shown, name
        assert "3/5" in shown and "2.5/5" in shown, name
        assert "Name a mitigation" in shown and "BPE is not a library" in shown, name
        assert "LLM grading failed" in shown and shown.count("LLM grading failed") == 1, name


def test_a_grade_without_fallback_or_flags_says_neither():
    for name, shown in _every_rendering(rich_grade(fallback_reason=None, flags=[], grader="llm:m")).items():
        assert "LLM grading failed" not in shown and "Note:" not in shown, name
        assert "LLM grader (m)" in shown, name


def test_the_fallback_notice_has_one_wording():
    assert fallback_notice("timeout") == "LLM grading failed (timeout); this answer was graded offline."
    tr = transcript(grade=rich_grade(fallback_reason="timeout"))
    assert graded_by(tr) == (f"{grader_label('llm:gpt-test')}. 1 of 1 answers were graded offline because "
                             "LLM grading failed (timeout)")
    assert "Graded by: " + graded_by(tr) in Tags(webview.summary_html(tr.summary, tr)).all_text


def test_terminal_text_is_not_escaped():
    text = format_grade(rich_grade())
    assert f"Mostly {XSS}" in text and "&lt;" not in text
    assert text.startswith("Key-point coverage 42/100 (correctness not checked) - Offline grader")
    assert not text.endswith("\n")
    assert format_grade(rich_grade(grader="llm:gpt-test")).startswith("Score: 42/100 (partial) - LLM grader")


# -- candidate text is shown literally --------------------------------------------------------------


def test_html_outputs_escape_candidate_and_grader_text():
    tr = transcript()
    pages = {
        "export": render_transcript(tr, "html"),
        "grade": render_grade(tr.turns[0].grade, "html"),
        "card": webview.feedback_html(tr.turns, tr.turns[0]),
        "folded card": webview.feedback_html(tr.turns, tr.turns[0], collapsed=True, open_=True),
        "summary": webview.summary_html(tr.summary, tr),
        "details": webview.summary_details_html(tr, all_open=False),
    }
    for name, page in pages.items():
        tags = Tags(page)
        assert not {"script", "img", "b"} & set(tags.tags), name
        assert "<script>" not in page and "&lt;script&gt;" in page or name == "summary", name
    export = Tags(pages["export"]).all_text
    for literal in (f"My answer {XSS}", f"Leaks {XSS}", f"Mostly {XSS}", "What is <b>bias</b>?"):
        assert literal in export
    card = Tags(pages["card"]).all_text
    for literal in (f"My answer {XSS}", f"Leaks {XSS}", f"I said {XSS}", f"Clear {XSS}"):
        assert literal in card


def _outside_fences(md: str) -> list[str]:
    out, fence = [], None
    for line in md.split("\n"):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence is None:
            if m:
                fence = m.group(1)
            else:
                out.append(line)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
            fence = None
    assert fence is None, "every fence is closed"
    return out


def _check_markdown(md: str) -> list[str]:
    lines = _outside_fences(md)
    headings = [line for line in lines if line.startswith("#")]
    assert headings == ["# Interview transcript", "## Summary", "## Question 1: What is &lt;b&gt;bias&lt;/b&gt;?",
                        "## Question 2: Second?"]
    rows = [line for line in lines if line.startswith("|")]
    for row in rows:  # every table row keeps its cells: no unescaped pipe inside a cell
        assert len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) in (2, 4), row
    return lines


def test_markdown_cannot_be_broken_by_a_reply_or_a_grade():
    reply = "~~~~~~~~\n# Title\n```\n| x | y |\n|---|---|\n## 3. Fake\n~~~~text\n"
    tr = transcript(answer=reply)
    md = render_transcript(tr, "markdown")
    outside = "\n".join(_check_markdown(md))
    assert reply in md  # fenced, byte for byte
    assert "## 3. Fake" not in outside and "| x | y |" not in outside and "## Better" not in outside
    assert "one &#124; two &#124; three &#124;" in md  # the justification stays in its cell
    assert md.endswith("</details>\n")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("~`|#-*<>\n ax")), max_size=60))
def test_markdown_holds_any_reply(reply):
    md = render_transcript(transcript(answer=reply), "markdown")
    _check_markdown(md)
    assert reply in md


# -- transcripts --------------------------------------------------------------------------------------


def test_render_transcript_formats():
    tr = transcript()
    assert render_transcript(tr, "md") == render_transcript(tr, "markdown")
    assert Transcript.from_json(render_transcript(tr, "json")) == tr
    assert json.loads(render_transcript(tr, "json"))["schema"] == "interviewer.transcript/1"
    page = render_transcript(tr, "html")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    with pytest.raises(ValueError, match="unknown transcript format"):
        render_transcript(tr, "pdf")


def test_one_file_name_scheme_for_every_format():
    tr = transcript()
    names = {fmt: transcript_filename(tr, fmt) for fmt in ("markdown", "md", "json", "html")}
    assert names == {"markdown": "interview-20250304-050607-01234567.md", "md": "interview-20250304-050607-01234567.md",
                     "json": "interview-20250304-050607-01234567.json",
                     "html": "interview-20250304-050607-01234567.html"}
    with pytest.raises(ValueError):
        transcript_filename(tr, "txt")


def test_web_writes_its_downloads_under_the_shared_name(tmp_path):
    state = pytest.importorskip("interviewer.web.state")
    paths = state.write_transcript_files(transcript(), tmp_path, ("markdown", "json", "html"))
    assert [p.rsplit("/", 1)[1] for p in paths] == [transcript_filename(transcript(), f)
                                                   for f in ("markdown", "json", "html")]


# -- the web app's HTML keeps its hooks ---------------------------------------------------------------


def test_web_card_keeps_its_classes():
    tr = transcript()
    card = webview.feedback_html(tr.turns, tr.turns[0])
    for hook in ('class="iv-feedback"', 'class="iv-score"', 'class="iv-overall"', 'class="iv-measure"',
                 'class="iv-notice"', 'class="iv-flags"', 'class="iv-bars"', 'class="iv-bar-fill" style="width:60%"',
                 'table class="iv-rubric"', 'ul class="iv-kp"', 'li class="iv-kp-covered"', 'class="iv-list iv-errors"',
                 'pre class="iv-pre"'):
        assert hook in card, hook
    assert "<h3>Question 1: What is &lt;b&gt;bias&lt;/b&gt;?</h3>" in card and "<details" in card
    folded = webview.feedback_html(tr.turns, tr.turns[0], collapsed=True)
    assert "<details><summary><h3>" in folded and "<strong>42/100 coverage</strong></summary>" in folded
    assert "iv-band" not in card, "an offline score carries no verdict word"
    llm = transcript(grade=rich_grade(grader="llm:gpt-test"))
    assert "iv-band iv-band-partial" in webview.feedback_html(llm.turns, llm.turns[0])
    assert "<strong>42/100</strong></summary>" in webview.feedback_html(llm.turns, llm.turns[0], collapsed=True)
    assert "<details open><summary>" in webview.feedback_html(tr.turns, tr.turns[0], collapsed=True, open_=True)
    skipped = webview.feedback_html(tr.turns, tr.turns[1], collapsed=True)
    assert "<strong>skipped</strong>" in skipped and "Skipped: no feedback." in skipped
    assert "<h3>Question 2: Second?</h3>" in webview.feedback_html(tr.turns, tr.turns[1])


def test_summary_details_fold_all_cards_but_the_last_unless_all_open():
    tr = transcript()
    details = webview.summary_details_html(tr, all_open=False)
    assert '<table id="summary-table"' in details and '<div id="all-feedback">' in details
    assert details.count('<div class="iv-feedback">') == 2
    assert details.count("<details open><summary><h3>") == 1
    assert webview.summary_details_html(tr, all_open=True).count("<details open><summary><h3>") == 2
    assert webview.question_table_html(tr) in details


def test_templates_are_escaped_by_their_kind():
    with pytest.raises(ValueError):
        render_template("grade.j2", g=None)
    assert "&lt;script&gt;" in render_template("question_table.html.j2", rows=[[1, "<script>", "-", ""]])


def test_history_tells_offline_coverage_from_llm_scores():
    from datetime import UTC, datetime

    from interviewer.rows import ProgressPoint, SessionRow

    when = datetime(2026, 1, 2, tzinfo=UTC)
    points = [ProgressPoint(session_id="a", started_at=when, overall=60, grader="offline", criteria={}),
              ProgressPoint(session_id="b", started_at=when, overall=80, grader="llm:m", criteria={})]
    assert [r["series"] for r in webview.progress_rows(points)] == ["coverage, offline (÷20)", "overall, LLM (÷20)"]
    row = SessionRow(id="a" * 8, started_at=when, finished_at=None, banks=[], total=1, answered=1, overall=60,
                     grader="offline")
    assert "key-point coverage (offline)" in webview.sessions_rows([row])[0]
    assert "rubric score (m)" in webview.sessions_rows([row.model_copy(update={"grader": "llm:m"})])[0]
