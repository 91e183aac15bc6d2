"""The interview engine: whole sessions in both modes, commands, follow-ups, events, pluggable graders."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.grading.models import CriterionScore, Grade, GradeRequest
from interviewer.session import Session, SessionOver, SessionSettings, Step, plan_questions

ROOT = Path(__file__).resolve().parents[1]
QS = load_bank(ROOT / "bank" / "genai_misc.md").questions
Q = {q.number: q for q in QS}

THOROUGH_1 = (
    "The big risks are bias, misinformation, privacy and intellectual property. Models trained on skewed data amplify "
    "that bias. They can generate convincing misinformation, leak personal data, reproduce copyrighted text, and there "
    "is job displacement. To address it: diverse training data and a bias audit before release, content filtering and "
    "human oversight, transparent disclosure of AI use and user consent, regular ethical reviews with stakeholder "
    "consultation under a responsible AI framework, then continuous bias assessment, harm detection and feedback loops."
)
THIN_1 = "Bias is the main one: if the training data is skewed the model repeats it."
GOOD_5 = (
    "GANs produce sharp, high-quality outputs but training is unstable, they suffer mode collapse and have no explicit "
    "density. VAEs train stably within a probabilistic framework but outputs are blurrier because of the "
    "reconstruction loss. So GANs for quality, VAEs for stability and interpretability, and diffusion models give "
    "both quality and controllability; the choice depends on requirements, stability needs and compute constraints."
)
VAGUE_6 = "They are all Hugging Face libraries that make NLP easier and work well together."
PARTIAL_3 = "Latent space is a compressed lower-dimensional representation where similar points cluster together."


def run(coro):
    return asyncio.run(coro)


def session(numbers, **settings) -> Session:
    questions = [Q[n] for n in numbers]
    settings.setdefault("count", len(questions))
    return Session(questions, SessionSettings(**settings))


class FakeGrader:
    """A scripted grader: records each request and returns the next scripted overall."""

    name = "fake"

    def __init__(self, scores=(50.0,), fallback_reason=None):
        self.scores = list(scores)
        self.requests: list[GradeRequest] = []
        self.usages: list[object] = []
        self.fallback_reason = fallback_reason

    def _grade(self, request: GradeRequest) -> Grade:
        self.requests.append(request)
        overall = self.scores[(len(self.requests) - 1) % len(self.scores)]
        return Grade(
            overall=overall,
            criteria=[CriterionScore(name="clarity", score=1 + overall / 25, weight=1.0, justification="scripted")],
            grader="llm:fake",
            fallback_reason=self.fallback_reason,
        )

    def grade(self, request: GradeRequest, usage=None) -> Grade:
        self.usages.append(usage)
        return self._grade(request)


class AsyncFakeGrader(FakeGrader):
    name = "fake-async"

    async def grade(self, request: GradeRequest, usage=None) -> Grade:
        await asyncio.sleep(0)
        self.usages.append(usage)
        return self._grade(request)


# -- whole sessions ----------------------------------------------------------------------------------


def test_practice_session_feedback_after_each_answer_and_summary():
    s = session([1, 5, 6, 3], followups=0, mode="practice")
    assert s.question_message() == f"Question 1 of 4: {Q[1].text}"
    answers = [THOROUGH_1, GOOD_5, VAGUE_6, PARTIAL_3]
    steps: list[Step] = []
    for i, text in enumerate(answers):
        assert s.current is not None and s.current.question_id == QS[[1, 5, 6, 3][i] - 1].id
        step = run(s.answer(text))
        steps.append(step)
        assert step.feedback is not None
        assert step.feedback == s.turns[i].grade
        assert step.followup is None
        if i < 3:
            assert not step.finished and step.summary is None
            assert step.next_question == f"Question {i + 2} of 4: {Q[[1, 5, 6, 3][i + 1]].text}"
    last = steps[-1]
    assert last.finished and s.finished and s.current is None
    summary = last.summary
    assert summary is not None
    grades = [turn.grade for turn in s.turns]
    assert [turn.answer for turn in s.turns] == answers
    assert summary.total == 4 and summary.answered == 4 and summary.skipped == 0
    assert summary.overall == pytest.approx(round(sum(g.overall for g in grades) / 4, 1))
    assert set(summary.criteria) == {"coverage", "depth", "communication"}
    for name, value in summary.criteria.items():
        expected = sum(g.criterion(name).score for g in grades) / 4
        assert value == pytest.approx(expected, abs=0.01)
    best = max(s.turns, key=lambda turn: turn.grade.overall)
    worst = min(s.turns, key=lambda turn: turn.grade.overall)
    assert summary.strongest[0].question_id == best.question_id == Q[1].id
    assert summary.weakest[0].question_id == worst.question_id == Q[6].id
    assert summary.study, "the weakest answers' missed points are what to study"
    assert set(summary.study) <= {p for turn in s.turns for p in turn.grade.missed}
    with pytest.raises(SessionOver):
        run(s.answer("more"))


def test_mock_session_feedback_only_at_the_end():
    s = session([3, 5, 6], followups=0, mode="mock")
    steps = [run(s.answer(a)) for a in (PARTIAL_3, GOOD_5, VAGUE_6)]
    assert all(step.feedback is None for step in steps)
    assert [step.finished for step in steps] == [False, False, True]
    summary = steps[-1].summary
    assert summary is not None and summary.answered == 3
    transcript = s.transcript()
    assert transcript.grader == "offline"
    assert transcript.settings["mode"] == "mock"
    assert all(turn.grade is not None and turn.grade.grader == "offline" for turn in transcript.turns)
    assert transcript.summary == summary
    assert summary.overall == pytest.approx(round(sum(t.grade.overall for t in transcript.turns) / 3, 1))


@pytest.mark.parametrize("numbers", [[1, 6], [1, 5, 6], [1, 5, 3, 6, 8]])
def test_summary_strongest_and_weakest(numbers):
    s = session(numbers, followups=0)
    replies = {1: THOROUGH_1, 5: GOOD_5, 6: VAGUE_6, 3: PARTIAL_3, 8: "Accelerate helps with training on GPUs."}
    for n in numbers:
        run(s.answer(replies[n]))
    summary = s.summary()
    by_score = sorted(s.turns, key=lambda turn: turn.grade.overall)
    assert summary.weakest[0].question_id == by_score[0].question_id
    assert summary.strongest, "a finished session names its strongest question"
    assert summary.strongest[0].question_id == by_score[-1].question_id
    strongest = {q.question_id for q in summary.strongest}
    weakest = {q.question_id for q in summary.weakest}
    assert not strongest & weakest, "no question is both among the strongest and the weakest"


# -- commands ----------------------------------------------------------------------------------------


def test_hint_reveals_key_points_and_is_recorded():
    events = []
    s = Session([Q[1]], SessionSettings(count=1, followups=0), on_event=lambda e: events.append(e.kind))
    points = Q[1].key_points
    assert s.hint() == f"Hint: {points[0]}"
    assert s.hint() == f"Hint: {points[1]}"
    # a draft that already covers the next point skips it
    assert s.hint(draft=f"I would mention {points[2].lower()}.") == f"Hint: {points[3]}"
    assert s.current.hints == [points[0], points[1], points[3]]
    assert events.count("hint") == 3
    step = run(s.answer(THIN_1))
    assert step.finished
    assert s.transcript().turns[0].hints == [points[0], points[1], points[3]]


def test_hints_run_out():
    s = session([3], followups=0)
    revealed = [s.hint() for _ in range(len(Q[3].key_points))]
    assert all(h.startswith("Hint: ") for h in revealed)
    assert len(set(revealed)) == len(Q[3].key_points)
    assert s.hint() == "No more hints for this question."


def test_skip():
    s = session([3, 5], followups=0)
    step = s.skip()
    assert step.next_question == f"Question 2 of 2: {Q[5].text}"
    assert s.turns[0].skipped and s.turns[0].answer is None and s.turns[0].grade is None
    step = run(s.answer(GOOD_5))
    summary = step.summary
    assert summary.total == 2 and summary.answered == 1 and summary.skipped == 1
    # a skipped question counts as 0
    assert summary.overall == pytest.approx(round(s.turns[1].grade.overall / 2, 1))
    assert summary.weakest[0].question_id == Q[3].id
    assert summary.weakest[0].overall == 0


def test_skip_last_question_finishes():
    s = session([3], followups=0)
    step = s.skip()
    assert step.finished and step.summary.skipped == 1 and step.summary.answered == 0
    assert step.summary.overall == 0


def test_repeat():
    s = session([3, 1], followups=1)
    assert s.repeat() == f"Question 1 of 2: {Q[3].text}"
    assert s.repeat() == s.question_message()
    step = run(s.answer(PARTIAL_3 + " It enables interpolation, style transfer and anomaly detection."))
    assert step.followup is None
    assert s.repeat() == f"Question 2 of 2: {Q[1].text}"
    step = run(s.answer(THIN_1))
    assert step.followup
    assert s.repeat() == step.followup  # while a follow-up is pending, repeat gives the follow-up


def test_end_early():
    events = []
    s = Session([Q[3], Q[5], Q[6]], SessionSettings(count=3, followups=0), on_event=lambda e: events.append(e.kind))
    run(s.answer(PARTIAL_3))
    summary = s.end()
    assert s.finished
    assert summary.total == 1 and summary.answered == 1
    assert summary.overall == s.turns[0].grade.overall
    assert [turn.question_id for turn in s.transcript().turns] == [Q[3].id]  # the unanswered one is left out
    assert s.transcript().finished_at is not None
    for action in (s.hint, s.skip, s.repeat):
        with pytest.raises(SessionOver):
            action()
    with pytest.raises(SessionOver):
        run(s.answer("late"))
    assert s.end() == summary
    assert events.count("finished") == 1


def test_end_before_any_answer():
    s = session([3, 5], followups=0)
    summary = s.end()
    assert summary.total == 0 and summary.overall is None
    assert s.transcript().turns == []


def test_end_while_a_followup_is_pending_grades_the_answer():
    s = session([1, 5], followups=1)
    step = run(s.answer(THIN_1))
    assert step.followup
    summary = run(s.finish())
    turn = s.transcript().turns[0]
    assert turn.answer == THIN_1
    assert turn.grade is not None, "the answer given before ending is graded"
    assert summary.answered == 1
    assert summary.overall == turn.grade.overall
    assert turn.followups[0].answer is None  # the unanswered follow-up stays on record


# -- follow-ups --------------------------------------------------------------------------------------


def test_followup_on_a_thin_answer_then_graded_together():
    s = session([1, 5], followups=1, mode="practice")
    step = run(s.answer(THIN_1))
    followup = step.followup
    assert followup and step.feedback is None and step.next_question is None and not step.finished
    assert s.awaiting_followup
    assert s.current.grade is None
    follow_answer = ("Misinformation: models generate convincing false content, so I add content filtering, "
                     "human oversight and harm detection.")
    step = run(s.answer(follow_answer))
    assert step.followup is None, "at most one follow-up with followups=1"
    assert step.feedback is not None
    assert step.next_question == f"Question 2 of 2: {Q[5].text}"
    turn = s.turns[0]
    assert turn.answer == THIN_1
    assert len(turn.followups) == 1
    assert turn.followups[0].question == followup
    assert turn.followups[0].answer == follow_answer
    # the grade covers the answer and the follow-up together
    assert "Human oversight" in turn.grade.covered
    assert "Misinformation generation" in turn.grade.covered
    alone = session([1], followups=0)
    run(alone.answer(THIN_1))
    assert turn.grade.overall > alone.turns[0].grade.overall


def test_no_followup_when_turned_off():
    s = session([1, 5], followups=0)
    step = run(s.answer(THIN_1))
    assert step.followup is None
    assert step.feedback is not None
    assert s.turns[0].followups == []


def test_no_followup_for_a_thorough_answer():
    s = session([1], followups=1)
    step = run(s.answer(THOROUGH_1))
    assert step.followup is None and step.finished


def test_two_followups_allowed():
    s = session([1], followups=2)
    assert run(s.answer(THIN_1)).followup
    assert run(s.answer("Privacy too.")).followup
    step = run(s.answer("And copyright."))
    assert step.finished
    assert [f.answer for f in s.turns[0].followups] == ["Privacy too.", "And copyright."]


def test_followup_writer_streams_and_falls_back():
    class Writer:
        async def write(self, request, missed, usage=None):
            for piece in ("Tell me ", "about ", missed[0].lower(), "?"):
                yield piece

    class Broken:
        async def write(self, request, missed, usage=None):
            raise RuntimeError("server down")
            yield ""  # pragma: no cover

    s = Session([Q[1]], SessionSettings(count=1, followups=1), followup_writer=Writer())

    async def collect():
        return [item async for item in s.answer_stream(THIN_1)]

    items = run(collect())
    pieces = [i for i in items if isinstance(i, str)]
    assert pieces[:2] == ["Tell me ", "about "]
    assert isinstance(items[-1], Step)
    assert items[-1].followup == "".join(pieces) == s.turns[0].followups[0].question
    s2 = Session([Q[1]], SessionSettings(count=1, followups=1), followup_writer=Broken())
    step = run(s2.answer(THIN_1))
    assert step.followup and step.followup.endswith("?")


# -- events ------------------------------------------------------------------------------------------


def test_persistence_hook_receives_events_in_order():
    seen = []

    def hook(event):
        turn = event.session.turns[event.turn_index] if event.turn_index is not None else None
        seen.append((event.kind, event.turn_index, turn.grade is not None if turn else None))

    s = Session([Q[3], Q[1], Q[5]], SessionSettings(count=3, followups=1), on_event=hook)
    s.hint()
    run(s.answer(PARTIAL_3 + " It enables interpolation, style transfer and anomaly detection, e.g. VAE latents."))
    run(s.answer(THIN_1))
    run(s.answer("Misinformation and privacy; content filtering and human oversight."))
    s.skip()
    assert [(k, i) for k, i, _ in seen] == [
        ("started", None), ("asked", 0), ("hint", 0), ("answered", 0), ("graded", 0),
        ("asked", 1), ("answered", 1), ("followup", 1), ("answered", 1), ("graded", 1),
        ("asked", 2), ("skipped", 2), ("finished", None),
    ]
    # the hook sees the state as it is at each event
    graded_flags = {(k, i): g for k, i, g in seen if i is not None}
    assert graded_flags[("graded", 0)] is True
    assert seen[3] == ("answered", 0, False)


# -- pluggable graders -------------------------------------------------------------------------------


def test_engine_passes_the_request_to_the_grader():
    fake = FakeGrader(scores=(80.0, 20.0))
    s = Session([Q[1], Q[2]], SessionSettings(count=2, followups=1), grader=fake)
    run(s.answer(THIN_1))  # thin: a follow-up first (decided offline), then the fake grades both
    run(s.answer("Privacy and misinformation."))
    step = run(s.answer("I built a RAG system."))  # experience question: no follow-up
    assert step.finished
    first, second = fake.requests
    assert first.question == Q[1].text
    assert first.reference == Q[1].reference
    assert first.answer == THIN_1
    assert first.kind == "technical"
    assert first.key_points == Q[1].key_points
    assert [f.answer for f in first.followups] == ["Privacy and misinformation."]
    assert first.followups[0].question == s.turns[0].followups[0].question
    assert "Privacy and misinformation." in first.full_reply() and THIN_1 in first.full_reply()
    assert second.kind == "experience" and second.followups == []
    assert second.answer == "I built a RAG system."
    assert all(u is s.usage for u in fake.usages)
    assert [t.grade.overall for t in s.turns] == [80.0, 20.0]
    assert s.transcript().grader == "fake"
    assert step.summary.overall == 50.0
    assert step.summary.criteria == {"clarity": pytest.approx((4.2 + 1.8) / 2)}


def test_async_grader_works():
    fake = AsyncFakeGrader(scores=(64.0,))
    s = Session([Q[3], Q[5]], SessionSettings(count=2, followups=0, mode="practice"), grader=fake)
    step = run(s.answer(PARTIAL_3))
    assert step.feedback is not None and step.feedback.overall == 64.0
    step = run(s.answer(GOOD_5))
    assert step.finished and step.summary.overall == 64.0
    assert len(fake.requests) == 2
    assert s.transcript().grader == "fake-async"


def test_fallback_reason_becomes_a_notice():
    fake = FakeGrader(fallback_reason="timeout after 60 s")
    s = Session([Q[3]], SessionSettings(count=1, followups=0), grader=fake)
    step = run(s.answer(PARTIAL_3))
    assert step.notice and "timeout after 60 s" in step.notice


# -- planning ----------------------------------------------------------------------------------------


def test_shuffle_with_a_seed_is_reproducible():
    settings = SessionSettings(count=6, order="shuffle", seed=1234)
    first = [q.id for q in plan_questions(QS, settings)]
    again = [q.id for q in plan_questions(QS, settings)]
    assert first == again
    assert len(first) == len(set(first)) == 6
    full = [q.id for q in plan_questions(QS, SessionSettings(count=11, order="shuffle", seed=1234))]
    assert sorted(full) == sorted(q.id for q in QS)
    assert full != [q.id for q in QS]
    others = {tuple(q.id for q in plan_questions(QS, SessionSettings(count=11, order="shuffle", seed=seed)))
              for seed in range(5)}
    assert len(others) > 1
    assert [q.id for q in plan_questions(QS, SessionSettings(count=3))] == [Q[1].id, Q[2].id, Q[3].id]


def test_session_needs_questions():
    with pytest.raises(ValueError):
        Session([], SessionSettings())


def test_the_offline_followup_points_to_an_area_without_giving_the_answer():
    from interviewer.grading.base import template_followup

    latent = Q[3]
    question = template_followup(latent.key_points[0], latent.reference)  # a whole sentence of the reference
    assert "lower-dimensional" not in question and "What else matters" in question
    assert template_followup("Mode collapse", Q[5].reference).endswith("What would you say about the GANs?")
    assert template_followup("Human oversight", Q[1].reference).endswith("about the mitigation strategies?")
