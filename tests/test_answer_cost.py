"""What each answer spent with an LLM (issue 24: tokens appeared only in the summary, never per answer)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMFollowUps, LLMGrader
from interviewer.grading.offline import OfflineGrader
from interviewer.presentation import format_grade, render_transcript
from interviewer.session import Graders, Session, SessionSettings
from tests.support.function_model import FunctionModel
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions


def session(followups: int) -> tuple[Session, FunctionModel]:
    model = FunctionModel(lambda call: grade_responder(call.body()), model="m")
    graders = Graders(grader=LLMGrader(model, Settings().llm), followup_writer=LLMFollowUps(model))
    return Session.start(QUESTIONS[:3], SessionSettings(count=3, followups=followups), graders), model


def test_each_answer_says_what_its_llm_calls_spent_and_they_add_up_to_the_session():
    for followups in (0, 1):
        s, model = session(followups)
        while not s.finished:
            asyncio.run(s.answer("Bias audits and human oversight, then monitoring after release."))
        spent = [t.grade.usage for t in s.turns]
        assert all(u is not None and u.prompt_tokens > 0 and u.completion_tokens > 0 for u in spent)
        assert sum(u.prompt_tokens for u in spent) == s.usage.prompt_tokens  # follow-ups counted with their answer
        assert sum(u.completion_tokens for u in spent) == s.usage.completion_tokens
        shown = format_grade(s.turns[1].grade)
        assert f"This answer used {spent[1].prompt_tokens:,} prompt + {spent[1].completion_tokens:,}" in shown
        assert "This answer used" in render_transcript(s.transcript(), "markdown")


def test_an_offline_grade_spends_nothing_and_says_nothing_of_tokens():
    s = Session.start(QUESTIONS[:1], SessionSettings(count=1, followups=0), Graders(grader=OfflineGrader()))
    asyncio.run(s.answer("Bias audits and human oversight."))
    assert s.turns[0].grade.usage is None and "This answer used" not in format_grade(s.turns[0].grade)
