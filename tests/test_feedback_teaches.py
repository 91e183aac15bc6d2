"""Feedback that teaches (issue 24): a point still to learn shows the reference's own sentence and where it sits,
partly covered points are listed, the summary and its table count questions and answers (never a skip), the
interviewer says why no follow-up is asked and thanks no one for a skip, follow-ups probe what was thin and are
labelled, and a retry never drops an answer already typed for the next question.

Names added by that change are read off their modules inside the tests (`followups.COVERED_ENOUGH`, a local
import of `interviewer.passages`), so that each test fails on its own where the behaviour is missing."""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path

import pytest

from interviewer import webview
from interviewer.bank import load_bank
from interviewer.conversation import Tone, told
from interviewer.grading import base as followups
from interviewer.grading.models import CriterionScore, Grade, GradeRequest, KeyPoint
from interviewer.presentation import format_grade, grade_view, render_grade, render_transcript
from interviewer.session import Graders, Refused, Session, SessionSettings
from tests.support.cli import run_cli
from tests.support.scripted import GOOD_5, THIN_1, THOROUGH_1, ScriptedGrader

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "bank" / "genai_misc.md"
Q = {q.number: q for q in load_bank(BANK).questions}

FULL_STORY = (
    "At a legal-tech startup in 2023, our goal was to cut contract drafting time with a generative model; I was "
    "the ML lead in a team of four, under strict compliance constraints. I designed a RAG pipeline over our "
    "clause database, I chose a hybrid retriever because exact legal terms matter, I built an evaluation set "
    "with lawyers, and I added a hallucination check that cites sources. Drafting time fell by 60% and errors "
    "by 35%; I learned to build the evaluation set first."
)
THIN_STORY = "I led a project at a bank where we built a RAG assistant with my team."


def run(coro):
    return asyncio.run(coro)


def scripted(numbers, grader=None, **settings) -> Session:
    """A session on these questions graded by a scripted grader, with no follow-ups unless asked."""
    settings = {"count": len(numbers), "followups": 0, **settings}
    graders = Graders(grader=grader or ScriptedGrader())
    return Session.start([Q[n] for n in numbers], SessionSettings(**settings), graders)


def offline(numbers, **settings) -> Session:
    """A session with the real offline grader, follow-up policy and follow-up writer."""
    settings = {"count": len(numbers), **settings}
    return Session.start([Q[n] for n in numbers], SessionSettings(**settings), Graders())


def reference_line(number: int, label: str) -> str:
    """The reference's line under a bold label, as a candidate reads it (no markup)."""
    line = next(line for line in Q[number].reference.splitlines() if line.startswith(f"**{label}:**"))
    return line.replace("**", "")


# -- 1. where a point sits in its reference ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "point", "label"),
    [(5, "Mode collapse", "GANs"), (6, "Preprocessing", "Datasets"), (9, "Prepare dataset", "Steps"),
     (4, "Maintaining coherence across conditions", "Challenges")],
)  # fmt: skip
def test_a_point_is_found_in_the_reference_sentence_under_its_label(number, point, label):
    from interviewer.passages import reference_passage

    passage = reference_passage(point, Q[number].reference)
    assert passage is not None
    assert passage.text == reference_line(number, label)  # the whole sentence, its bold markers removed
    assert passage.where == f'under "{label}"'


@pytest.mark.parametrize(
    ("number", "point"),
    [(3, "Latent space is a lower-dimensional representation"),  # verbatim, on the reference's first line
     (8, "automatic mixed precision")],
)  # fmt: skip
def test_a_point_on_a_line_without_a_label_is_found_by_its_line_number(number, point):
    from interviewer.passages import reference_passage

    passage = reference_passage(point, Q[number].reference)
    assert passage is not None and passage.where == "line 1 of the reference"
    assert passage.text == Q[number].reference.splitlines()[0]
    reference = "Some preamble.\n\nNothing here.\nGradient accumulation sums the gradients of small batches."
    paraphrased = reference_passage("Gradient accumulation of batches", reference)  # by most of its words
    assert paraphrased is not None and paraphrased.where == "line 4 of the reference"
    assert paraphrased.text == "Gradient accumulation sums the gradients of small batches."


@pytest.mark.parametrize(
    ("number", "point"),
    [(3, "Quantum entanglement between qubits"), (5, "Tokenizers split text into subwords"),
     (10, "Reinforcement learning from human feedback"), (3, "   ")],
)  # fmt: skip
def test_no_passage_when_no_line_says_most_of_the_point(number, point):
    from interviewer.passages import reference_passage

    assert reference_passage(point, Q[number].reference) is None
    assert reference_passage("Mode collapse", "") is None


# -- 2. the feedback's rows and texts ------------------------------------------------------------------------


def graded(number: int, statuses: dict[str, str]) -> Grade:
    """A grade of question `number`: the points named have the status given, every other point is covered."""
    points = [KeyPoint(point=p, status=statuses.get(p, "covered")) for p in Q[number].key_points]
    return Grade(
        overall=60,
        criteria=[CriterionScore(name="depth", score=3, weight=1.0, justification="scripted")],
        key_points=points,
        covered=[k.point for k in points if k.status == "covered"],
        missed=[k.point for k in points if k.status == "missed"],
        grader="llm:scripted",
    )


# question, a missed point, a partly covered point, the label the missed one sits under, and the partly covered
# one's when its sentence says more than it (None: the point is its whole sentence, or shares the missed one's)
TEACHING = [
    (5, "Mode collapse", "Provide stable training and probabilistic framework but generate blurrier outputs due to "
     "reconstruction loss", "GANs", None),
    (6, "Caching for large datasets with memory-efficient operations", "Model training", "Datasets", "Integration"),
    (10, "Audio", "Video processing in unified models like GPT-4V", "Multi-modality", None),
]  # fmt: skip


@pytest.mark.parametrize(("number", "missed", "partial", "missed_label", "partial_label"), TEACHING)
def test_a_point_still_to_learn_carries_the_reference_sentence_and_where(
    number, missed, partial, missed_label, partial_label
):
    view = grade_view(graded(number, {missed: "missed", partial: "partial"}), Q[number].reference)
    rows = {row.point: row for row in view.key_points}
    assert rows[missed].reference == reference_line(number, missed_label)
    assert rows[missed].where == f'under "{missed_label}"'
    if partial_label:
        assert rows[partial].reference == reference_line(number, partial_label)
    assert rows[partial].where is not None and rows[partial].where.startswith("under ")
    covered = next(row for row in view.key_points if row.status == "covered")
    assert covered.reference is None and covered.where is None  # nothing to learn there
    assert view.partial == (partial,)


def transcript_of(number: int, grade: Grade, answer: str = "My answer."):
    s = scripted([number], followups=0)
    run(s.answer(answer))
    s.turns[0].grade = grade
    return s.transcript()


@pytest.mark.parametrize(("number", "missed", "partial", "missed_label", "partial_label"), TEACHING)
def test_the_markdown_transcript_lists_partly_covered_points_and_what_the_reference_says(
    number, missed, partial, missed_label, partial_label
):
    grade = graded(number, {missed: "missed", partial: "partial"})
    markdown = render_transcript(transcript_of(number, grade), "markdown")
    assert "Partly covered:" in markdown and "What the reference says:" in markdown
    listed = markdown.split("Partly covered:", 1)[1].split("Missed:", 1)[0]
    assert f"- {partial}" in listed and missed not in listed  # apart from the covered and the missed ones
    said = markdown.split("What the reference says:", 1)[1]
    assert f'- {missed} (under "{missed_label}"): {reference_line(number, missed_label)}' in said


@pytest.mark.parametrize(("number", "missed", "partial", "missed_label", "partial_label"), TEACHING)
def test_the_terminal_feedback_lists_partly_covered_points_and_what_the_reference_says(
    number, missed, partial, missed_label, partial_label
):
    grade = graded(number, {missed: "missed", partial: "partial"})
    text = format_grade(grade)
    assert f"  Partly covered: {partial}" in text.splitlines()
    assert not any(line.startswith("  Covered:") and partial in line for line in text.splitlines())
    with_reference = render_grade(grade_view(grade, Q[number].reference), "text")
    assert "  What the reference says:" in with_reference.splitlines()
    assert f'    - {missed} (under "{missed_label}"): {reference_line(number, missed_label)}' in with_reference


# -- 3. the web summary's table and chart ------------------------------------------------------------------


@pytest.mark.parametrize("numbers", [(3, 5), (6, 9), (1, 7, 10)])
def test_the_question_table_numbers_questions_and_a_retry_says_which_attempt(numbers):
    s = scripted(numbers, mode="practice")
    run(s.answer("A first try."))
    assert not isinstance(s.retry(), Refused)
    for _ in numbers:
        run(s.answer("Another answer."))
    rows = webview.question_table(s.transcript())
    first = Q[numbers[0]].text
    assert [row[0] for row in rows] == [1, 1, *range(2, len(numbers) + 1)]
    assert rows[0][1] == first and rows[1][1] == f"{first} (attempt 2)"
    assert [row[1] for row in rows[2:]] == [Q[n].text for n in numbers[1:]]


@pytest.mark.parametrize("numbers", [(1, 2, 3), (4, 5), (2, 6, 4, 9)])
def test_the_summary_chart_draws_technical_and_story_criteria_as_separate_series(numbers):
    s = offline(numbers, followups=0, mode="practice")
    answers = {1: THOROUGH_1, 2: FULL_STORY, 4: FULL_STORY, 5: GOOD_5}
    for n in numbers:
        run(s.answer(answers.get(n, "An answer about models, data and training with some detail.")))
    transcript = s.transcript()
    rows = webview.summary_chart_rows(transcript)
    by_rubric: dict[str, dict[str, list[float]]] = {}
    for turn in transcript.turns:
        for c in turn.grade.criteria:
            by_rubric.setdefault(turn.kind, {}).setdefault(c.name.replace("_", " "), []).append(c.score)
    series = {"technical": "technical questions", "experience": "experience questions (STAR)"}
    assert {row["rubric"] for row in rows} == {series[kind] for kind in by_rubric} == set(series.values())
    for kind, criteria in by_rubric.items():
        drawn = {row["criterion"]: row["score"] for row in rows if row["rubric"] == series[kind]}
        assert drawn == {name: pytest.approx(sum(v) / len(v), abs=0.01) for name, v in criteria.items()}


# -- 4. a skip is neither ranked nor studied, in what the candidate reads -------------------------------------


def _study_list(markdown: str) -> list[str]:
    block = markdown.split("What to study:", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


@pytest.mark.parametrize(("numbers", "skipped_at"), [((3, 5, 7), 0), ((3, 5, 7), 1), ((6, 9, 10), 2)])
def test_a_skipped_question_is_never_weakest_or_strongest_nor_studied_in_the_transcript_and_web_summary(
    numbers, skipped_at
):
    every_point = [p for n in numbers for p in Q[n].key_points]
    s = scripted(numbers, ScriptedGrader((30.0, 80.0), missed=every_point))
    for i in range(len(numbers)):
        s.skip() if i == skipped_at else run(s.answer("An answer."))
    transcript = s.transcript()
    skipped = Q[numbers[skipped_at]]
    answered = [Q[n] for i, n in enumerate(numbers) if i != skipped_at]

    study = _study_list(render_transcript(transcript, "markdown"))
    assert study and not set(study) & set(skipped.key_points)  # its points were never tried
    assert set(study) <= {p for q in answered for p in q.key_points}

    summary_box = html.unescape(webview.summary_html(transcript.summary, transcript))
    assert skipped.text not in summary_box and "(0/100" not in summary_box  # never "Weakest ... (0/100)"
    assert all(q.text in summary_box for q in answered)  # each answer is ranked, one way or the other


# -- 5. what the interviewer says after a skip, and when no follow-up is asked -------------------------------


@pytest.mark.parametrize("mode", ["mock", "practice"])
@pytest.mark.parametrize("numbers", [(3, 5, 6), (2, 4, 1)])
def test_no_thank_you_after_a_skip(mode, numbers):
    s = scripted(numbers, mode=mode)
    said = told(s, s.skip())
    assert "Thank you." not in [x.text for x in said]
    assert [x.text for x in said if x.tone is Tone.QUESTION] == [f"Question 2 of 3: {Q[numbers[1]].text}"]
    said = told(s, run(s.answer("An answer.")))  # an answer in mock mode is still thanked
    assert ("Thank you." in [x.text for x in said]) == (mode == "mock")
    assert "Thank you." not in [x.text for x in told(s, s.skip())]  # nor after the last one, which ends it


NO_FOLLOWUP = [  # (question, answer, why no follow-up is asked)
    (1, THOROUGH_1, "COVERED_ENOUGH"),
    (5, GOOD_5, "COVERED_ENOUGH"),
    (2, FULL_STORY, "STORY_COMPLETE"),
    (3, "Hmm.", "NOTHING_TO_BUILD_ON"),
]


@pytest.mark.parametrize(("number", "answer", "why"), NO_FOLLOWUP)
def test_practice_mode_says_why_no_follow_up_is_asked(number, answer, why):
    s = offline([number, 6], followups=1, mode="practice")
    step = run(s.answer(answer))
    assert step.followup is None and step.no_followup == getattr(followups, why)
    said = told(s, step)
    assert [x.tone for x in said] == [Tone.FEEDBACK, Tone.REMARK, Tone.QUESTION]
    assert said[1].text == getattr(followups, why)  # right after the feedback it explains
    assert said[1].text.startswith("No follow-up: ")


@pytest.mark.parametrize(("number", "answer", "why"), NO_FOLLOWUP)
def test_mock_mode_keeps_why_no_follow_up_to_itself(number, answer, why):
    s = offline([number, 6], followups=1, mode="mock")
    step = run(s.answer(answer))
    assert step.no_followup == getattr(followups, why)  # known to the engine...
    said = [x.text for x in told(s, step)]
    assert said == ["Thank you.", f"Question 2 of 2: {Q[6].text}"]  # ...never said: it would tell the grade early


# -- 6. offline follow-ups ----------------------------------------------------------------------------------


def _written(number: int, missed: list[str], kind: str | None = None) -> str:
    q = Q[number]
    request = GradeRequest(question=q.text, reference=q.reference, answer="An answer.", kind=kind or q.kind,
                           key_points=q.key_points)  # fmt: skip

    async def write():
        return "".join([piece async for piece in followups.TemplateFollowUps().write(request, missed)])

    return run(write())


@pytest.mark.parametrize(
    ("number", "label", "area"),
    [(1, "Mitigation Strategies", "mitigation strategies"), (5, "GANs", "GANs"), (6, "Datasets", "datasets"),
     (11, "Healthcare", "healthcare")],
)  # fmt: skip
def test_an_area_covered_in_part_is_asked_about_as_such(number, label, area):
    from interviewer.bank import label_of

    in_area = [p for p in Q[number].key_points if label_of(p, Q[number].reference) == label]
    assert len(in_area) >= 3
    partly = _written(number, in_area[1:])  # the first point of the area was covered
    assert partly == f"Let's go a bit deeper. You covered part of the {area}: what else belongs there?"
    untouched = _written(number, in_area)  # nothing of the area: asked as before
    assert untouched == f"Let's go a bit deeper. What would you say about the {area}?"


def test_a_thin_answer_gets_a_follow_up_on_the_area_it_began():
    s = offline([1, 3], followups=1, mode="practice")
    step = run(s.answer(THIN_1))  # bias, and nothing else of the key concerns
    assert step.followup == "Let's go a bit deeper. You covered part of the key concerns: what else belongs there?"


@pytest.mark.parametrize(
    ("number", "story"),
    [(2, THIN_STORY), (4, "I built conditional text generation at a retailer with control tokens, with my team."),
     (2, "Our team at a bank built a RAG assistant in 2023 for the support staff. I designed the retrieval and I "
         "chose the embedding model.")],
)  # fmt: skip
def test_a_thin_story_gets_a_follow_up_on_a_part_of_it(number, story):
    assert Q[number].kind == "experience"
    s = offline([number, 3], followups=1, mode="practice")
    step = run(s.answer(story))
    assert step.followup is not None and step.feedback is None
    asked = re.fullmatch(r"Let's go a bit deeper\. Tell me more about (.+)\.", step.followup)
    assert asked is not None and asked[1] in followups.STORY_PROBES.values()
    assert _written(number, [followups.STORY_PROBES["actions"]]).endswith(
        "Tell me more about what you did yourself, and why you chose to do it that way."
    )


# -- 7. a retry never drops an answer typed for the next question -------------------------------------------


@pytest.mark.parametrize(("numbers", "typed"), [((3, 5), "Half an answer"), ((6, 9, 10), "GANs are\n\nunstable")])
def test_retry_is_refused_while_the_next_question_has_a_draft(numbers, typed):
    s = scripted(numbers, mode="practice")
    run(s.answer("A first try."))
    assert s.can_retry()
    s.keep_draft(typed)
    assert not s.can_retry()
    refused = s.retry()
    assert isinstance(refused, Refused) and "started answering the next question" in refused.reason
    assert s.current.question_id == Q[numbers[1]].id and s.current.draft == typed  # nothing moved, nothing lost
    s.keep_draft("")  # cleared: trying again is possible once more
    assert s.can_retry() and not isinstance(s.retry(), Refused)


# -- 8. the terminal labels a follow-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "replies"),
    [(1, [THIN_1, "Human oversight and content filtering."]),
     (2, [THIN_1, "Privacy and misinformation too.", THIN_STORY, "It cut support time by a third."])],
)  # fmt: skip
def test_the_terminal_labels_a_follow_up(tmp_path, count, replies):
    stdin = "".join(f"{reply}\n\n" for reply in replies)
    r = run_cli("practice", "--bank", BANK, "-n", str(count), "--followups", "1", "--out", tmp_path / "out",
                stdin=stdin)  # fmt: skip
    assert r.code == 0, r.err
    labelled = re.findall(r"^(?:> )?Follow-up: (.+)$", r.out, re.MULTILINE)  # after the answer prompt, if any
    [saved] = (tmp_path / "out").glob("*.json")
    turns = json.loads(saved.read_text(encoding="utf-8"))["turns"]
    asked = [f["question"] for turn in turns for f in turn["followups"]]
    assert len(asked) == len(replies) // 2 and labelled == asked
