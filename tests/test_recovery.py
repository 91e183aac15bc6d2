"""Credit for recovering after a follow-up (issue 13, part 2): a key point the first reply missed and the
answer to the follow-up covered is `recovered`, credited at the rubric's `recovery_credit` share, said in the
feedback and counted in the summary; through the offline grader, the LLM grader (a real HTTP server) and the
terminal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMFollowUps, LLMGrader
from interviewer.grading.models import FollowUp, GradeRequest
from interviewer.grading.offline import OfflineGrader
from interviewer.presentation import format_grade, render_transcript
from interviewer.session import Graders, Session, SessionSettings
from tests.support.cli import run_cli
from tests.support.function_model import FunctionModel
from tests.support.responders import GradingResponder, by_id, by_name, grade_request_of

ROOT = Path(__file__).resolve().parents[1]
ETHICS = load_bank(ROOT / "bank" / "genai_misc.md").questions[0]
FIRST = "Bias amplification and misinformation generation are the main risks."
AFTER = "Also privacy violations and intellectual property issues."


def offline_grade(first: str, followup_answer: str | None):
    followups = [FollowUp(question="What else?", answer=followup_answer)] if followup_answer else []
    return OfflineGrader().assess(GradeRequest(question=ETHICS.text, reference=ETHICS.reference, answer=first,
                                               key_points=ETHICS.key_points, followups=followups))  # fmt: skip


def test_points_first_covered_in_the_follow_up_answer_are_recovered_at_a_share_of_the_credit():
    recovered = offline_grade(FIRST, AFTER)
    assert recovered.recovered == ["Privacy violations", "Intellectual property issues"]
    assert {k.point: k.status for k in recovered.key_points}["Bias amplification"] == "covered"
    assert set(recovered.recovered) <= set(recovered.covered)
    all_at_once = offline_grade(f"{FIRST} {AFTER}", None)  # the same words, all in the first reply
    assert all_at_once.recovered == [] and set(recovered.covered) == set(all_at_once.covered)
    # 0.75 of the credit for the two recovered points
    assert recovered.criterion("coverage").score < all_at_once.criterion("coverage").score
    assert recovered.overall < all_at_once.overall
    assert "Recovered after the follow-up: 2 points (Privacy violations, Intellectual property issues)" in (
        format_grade(recovered)
    )


def test_a_session_counts_recoveries_in_its_feedback_transcripts_and_summary():
    s = Session.start([ETHICS], SessionSettings(count=1, followups=1))
    assert asyncio.run(s.answer(FIRST)).followup
    asyncio.run(s.answer(AFTER))
    s.end()
    assert s.summary().recovered == 2
    for fmt in ("markdown", "html"):
        text = render_transcript(s.transcript(), fmt)
        assert "Recovered after the follow-up: 2 points" in text and "2 key points recovered after follow-ups" in text
    data = json.loads(render_transcript(s.transcript(), "json"))
    assert data["summary"]["recovered"] == 2
    assert [k["status"] for k in data["turns"][0]["grade"]["key_points"]].count("recovered") == 2


def test_the_llm_grader_reports_recovered_through_its_schema_and_the_quote_decides():
    """The model may say "recovered"; where its quote really is decides: a quote from the first reply is
    covered, a quote only in the follow-up answer is recovered (also when the model said covered)."""

    def responder(body):
        parts = grade_request_of(body)
        if parts is None:
            return "What else would you watch for?"
        statuses = [("recovered", "Bias amplification"), ("covered", "privacy violations")]  # k1, k2
        points = [{"evidence": quote, "status": status} for status, quote in statuses]
        points += [{"evidence": "", "status": "missed"}] * (len(parts["key_points"]) - 2)
        criteria = [{"name": n, "reasoning": "r", "score": 3} for n in parts["criteria"]]
        assert '"recovered"' in json.dumps(body["response_format"])  # the status is in the schema
        return json.dumps({"possible_prompt_injection": False, "key_points": by_id(points),
                           "criteria": by_name(criteria), "factual_errors": [], "strengths": [],
                           "suggestions": [], "improved_answer": ""})  # fmt: skip

    model = FunctionModel(lambda call: responder(call.body()), model="m")
    graders = Graders(grader=LLMGrader(model, Settings().llm), followup_writer=LLMFollowUps(model))
    s = Session.start([ETHICS], SessionSettings(count=1, followups=1), graders)
    assert asyncio.run(s.answer(FIRST)).followup
    asyncio.run(s.answer(AFTER))
    system = model.calls[-1].messages[0]["content"]
    grade = s.turns[0].grade
    assert grade.grader == "llm:m"
    statuses = {k.point: k.status for k in grade.key_points}
    assert statuses["Bias amplification"] == "covered" and statuses["Misinformation generation"] == "recovered"
    assert grade.recovered == ["Misinformation generation"]
    assert '"recovered"' in system and "75%" in system


def test_the_llm_grader_with_a_plain_model_still_tells_recovered_from_covered():
    responder = GradingResponder()
    model = FunctionModel(lambda call: responder(call.body()), model="m")
    graders = Graders(grader=LLMGrader(model, Settings().llm), followup_writer=LLMFollowUps(model))
    s = Session.start([ETHICS], SessionSettings(count=1, followups=1), graders)
    assert asyncio.run(s.answer(FIRST)).followup
    asyncio.run(s.answer(AFTER))
    grade = s.turns[0].grade
    assert "Privacy violations" in grade.recovered and "Bias amplification" not in grade.recovered


def test_the_terminal_says_what_was_recovered(tmp_path):
    typed = f"{FIRST}\n\n{AFTER}\n\n"
    result = run_cli("practice", "-n", "1", "--followups", "1", "--out", "tr", stdin=typed,
                     env={"INTERVIEWER_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert result.code == 0, result.err
    assert "Recovered after the follow-up: 2 points (Privacy violations, Intellectual property issues)" in result.out
    assert "2 key points recovered after follow-ups" in result.out
