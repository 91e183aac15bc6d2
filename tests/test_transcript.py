"""Transcripts: JSON round trip on a real session; the Markdown and HTML exports show answers literally and safely."""
from __future__ import annotations

import asyncio
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.grading.models import CriterionScore, Grade
from interviewer.presentation import render_transcript
from interviewer.session import Graders, Session, SessionSettings
from interviewer.transcript import SCHEMA, Transcript

ROOT = Path(__file__).resolve().parents[1]
Q = {q.number: q for q in load_bank(ROOT / "bank" / "genai_misc.md").questions}

NASTY = (
    "Before anything: <script>alert(1)</script> & <b>bold</b>\n"
    "| pipes | in | a | row |\n"
    "|---|---|---|---|\n"
    "## 3. Fake question\n"
    "# Fake title\n"
    "```python\n"
    "print('fenced')\n"
    "```\n"
    "~~~~\n"
    "Tokenizers use BPE or WordPiece; Datasets caches data; Transformers holds pre-trained models."
)
ANSWERS = [
    "Latent space is a lower-dimensional representation: similar points cluster together, and you can "
    "interpolate smoothly, which is why VAEs use it for generation and anomaly detection.",
    NASTY,
    "At my last job I built a RAG drafting tool for contracts; I chose the retriever and wrote the checks. "
    "Drafting time fell by 50%.",
]


FOLLOWUP_ANSWER = "Pipelines <i>wrap</i> | everything | together."


def real_session(mode: str = "practice") -> Session:
    s = Session.start([Q[3], Q[6], Q[2], Q[5]], SessionSettings(count=4, followups=1, mode=mode))
    s.hint()
    for answer in ANSWERS:
        step = asyncio.run(s.answer(answer))
        if step.followup:
            asyncio.run(s.answer(FOLLOWUP_ANSWER))
    s.skip()
    assert s.finished
    assert any(turn.followups for turn in s.turns), "the session includes a follow-up"
    return s


@pytest.fixture(scope="module")
def transcript() -> Transcript:
    return real_session().transcript()


def test_json_contract(transcript):
    data = json.loads(transcript.to_json())
    assert data["schema"] == SCHEMA == "interviewer.transcript/1"
    assert set(data) >= {"schema", "session_id", "started_at", "finished_at", "settings", "grader", "turns",
                         "summary", "usage"}
    assert set(data["usage"]) >= {"prompt_tokens", "completion_tokens", "estimated_cost_usd"}
    assert data["grader"] == "offline:words"
    assert len(data["turns"]) == 4
    for turn in data["turns"]:
        assert set(turn) >= {"question_id", "question", "reference", "kind", "answer", "followups", "hints",
                             "skipped", "grade", "asked_at", "answered_at"}
    assert [t["answer"] for t in data["turns"][:3]] == ANSWERS
    [hint] = data["turns"][0]["hints"]
    assert hint["level"] == 1 and hint["cost"] == 5 and hint["point"] == Q[3].key_points[0] and hint["text"]
    assert data["turns"][0]["grade"]["penalties"] == [{"reason": "hint", "points": 5.0}]
    assert data["turns"][3]["skipped"] is True and data["turns"][3]["grade"] is None
    assert data["turns"][2]["kind"] == "experience"
    assert data["turns"][0]["grade"]["grader"] == "offline:words"


def test_json_round_trip_is_identical(transcript):
    first = transcript.to_json()
    again = Transcript.from_json(first)
    assert again == transcript
    assert again.to_json() == first
    assert Transcript.from_json(again.to_json()).to_json() == first


def test_json_round_trip_of_an_unfinished_session():
    s = Session.start([Q[1], Q[3]], SessionSettings(count=2, followups=1))
    asyncio.run(s.answer("Bias is the main one: if the training data is skewed the model repeats it."))
    tr = s.transcript()
    assert tr.finished_at is None
    text = tr.to_json()
    assert Transcript.from_json(text).to_json() == text


def test_json_keeps_unicode_and_control_characters():
    s = Session.start([Q[3]], SessionSettings(count=1, followups=0))
    answer = "Espace latent — “quoted”, emoji 🧠, tab\there, and a \\ backslash\r\nCRLF line."
    asyncio.run(s.answer(answer))
    text = s.transcript().to_json()
    back = Transcript.from_json(text)
    assert back.turns[0].answer == answer
    assert back.to_json() == text


def test_markdown_contains_answers_literally(transcript):
    md = render_transcript(transcript, "markdown")
    for answer in ANSWERS:
        assert answer in md
    assert "# Interview transcript" in md
    assert Q[3].text in md
    assert "*Skipped.*" in md


def test_html_contains_answers_escaped(transcript):
    page = render_transcript(transcript, "html")
    for answer in (ANSWERS[0], ANSWERS[2]):
        assert _html_text_of_pres(page).count(answer) == 1
    assert _html_text_of_pres(page).count(NASTY) == 1


# -- structure cannot be broken by what the candidate types ---------------------------------------------


def _outside_fences(md: str) -> list[str]:
    """Markdown lines that are not inside a fenced block (CommonMark fence rules: same char, at least as long)."""
    out: list[str] = []
    fence: str | None = None
    for line in md.split("\n"):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence is None:
            if m:
                fence = m.group(1)
                continue
            out.append(line)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
            fence = None
    assert fence is None, "every fence is closed"
    return out


def test_markdown_keeps_the_answer_inside_a_fence(transcript):
    md = render_transcript(transcript, "markdown")
    outside = "\n".join(_outside_fences(md))
    assert "<script>" not in outside
    assert "## 3. Fake question" not in outside
    assert "# Fake title" not in outside
    assert "print('fenced')" not in outside
    assert "| pipes |" not in outside
    assert "Tokenizers use BPE" not in outside  # the answer's own ~~~~ line does not close the fence
    headings = [line for line in _outside_fences(md) if line.startswith("#")]
    assert headings[0] == "# Interview transcript"
    # headings may escape characters as HTML entities (they render the same)
    assert [html.unescape(h) for h in headings if h.startswith("## Question")] == [
        f"## Question {i}: {q}" for i, q in enumerate([Q[3].text, Q[6].text, Q[2].text, Q[5].text], start=1)
    ]
    assert all(h in ("# Interview transcript", "## Summary") or h.startswith("## Question ") for h in headings)


def _tables(lines: list[str]) -> list[list[str]]:
    tables, current = [], []
    for line in lines:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _cells(row: str) -> int:
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def test_markdown_table_rows_keep_their_cell_count():
    """Justifications and criterion names with pipes and newlines must not add cells or rows."""

    class PipeGrader:
        name = "pipes"

        async def grade(self, request, usage=None):
            return Grade(
                overall=50,
                criteria=[
                    CriterionScore(name="a|b", score=3, weight=0.5, justification="one | two\n| three |"),
                    CriterionScore(name="depth", score=2, weight=0.5, justification="<b>x</b> ||| y\r\nz"),
                ],
                covered=["x | y"],
                missed=["## not a heading"],
                suggestions=["```", "| row |"],
                improved_answer="## Better\n```\ncode\n```\n| a | b |",
                grader="llm:pipes",
                fallback_reason="bad | reason\n# heading",
            )

    s = Session.start([Q[3], Q[6]], SessionSettings(count=2, followups=0), graders=Graders(grader=PipeGrader()))
    asyncio.run(s.answer(NASTY))
    asyncio.run(s.answer("| only | pipes |\n|---|---|"))
    md = render_transcript(s.transcript(), "markdown")
    lines = _outside_fences(md)
    tables = _tables(lines)
    assert len(tables) >= 3  # summary + one per graded answer
    for table in tables:
        counts = {_cells(row) for row in table}
        assert len(counts) == 1, table
        assert re.match(r"^\|(\s*:?-+:?\s*\|)+$", table[1]), table
    headings = [line for line in lines if line.startswith("#")]
    assert all(h in ("# Interview transcript", "## Summary") or h.startswith("## Question ") for h in headings)
    assert "| only | pipes |" in md
    assert "## Better" in md and "## Better" not in "\n".join(lines)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.pre_text: list[str] = []
        self._in_pre = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "pre":
            self._in_pre += 1
            self.pre_text.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data):
        if self._in_pre:
            self.pre_text[-1] += data


def _html_text_of_pres(page: str) -> str:
    c = _Collector()
    c.feed(page)
    return "\n\0\n".join(c.pre_text)


def test_html_escapes_the_answer(transcript):
    page = render_transcript(transcript, "html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page
    assert "<i>wrap</i>" not in page
    c = _Collector()
    c.feed(page)
    assert "script" not in c.tags
    assert "b" not in c.tags and "i" not in c.tags
    assert c.tags.count("h2") == 4
    assert page.startswith("<!doctype html>")
    assert page.count("<pre") == page.count("</pre>")


def test_html_escapes_grade_fields():
    class HtmlGrader:
        name = "html"

        async def grade(self, request, usage=None):
            return Grade(overall=40, criteria=[CriterionScore(name="x", score=2, weight=1,
                                                              justification="<img src=x onerror=alert(1)>")],
                         missed=["<script>bad()</script>"], improved_answer="</pre><script>x()</script>",
                         grader="llm:html", fallback_reason="<iframe>")

    s = Session.start([Q[3]], SessionSettings(count=1, followups=0), graders=Graders(grader=HtmlGrader()))
    asyncio.run(s.answer("Latent space <em>is</em> compressed."))
    c = _Collector()
    c.feed(render_transcript(s.transcript(), "html"))
    assert not {"script", "img", "iframe", "em"} & set(c.tags)
