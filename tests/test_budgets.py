"""What one person may spend of the host's LLM (issue 25, item 9): calls per minute per owner, attempts per
question, and the length of what is typed, each with a clear message when reached."""

from __future__ import annotations

import asyncio
from pathlib import Path

from interviewer.bank import load_bank
from interviewer.budget import OWNERS_KEPT, Budgeted, LLMBudget
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMGrader
from interviewer.owner import Owner
from interviewer.service import App
from interviewer.session import Graders, Refused, Session, SessionSettings
from interviewer.store import Store
from interviewer.web.draft_events import DraftForm, draft_bank
from interviewer.web.handlers import ANSWER_LIMIT, Handlers, StartForm
from interviewer.web.history_events import HistoryTab
from interviewer.web.setup import bundled_banks
from interviewer.web.views import NoticeView
from tests.support.function_model import FunctionModel
from tests.support.responders import grade_responder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ALICE, BOB = Owner.browser("a" * 24), Owner.browser("b" * 24)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_counts_calls_per_owner_over_a_sliding_minute():
    clock = Clock()
    budget = LLMBudget(3, clock)
    assert [budget.take(ALICE) for _ in range(3)] == [None] * 3
    over = budget.take(ALICE)
    assert over and "3 times in the last minute" in over and "try again in 60 s" in over
    assert budget.take(BOB) is None  # another person's budget is their own
    clock.now += 30
    assert budget.take(ALICE) is not None  # still within the minute (a refused call is not counted)
    clock.now += 31
    assert budget.take(ALICE) is None  # the first calls have left the window


def test_a_budget_remembers_a_bounded_number_of_owners():
    budget = LLMBudget(1, Clock())
    for n in range(OWNERS_KEPT + 500):
        budget.take(Owner.browser(f"{n:024x}"))
    assert len(budget._calls) == OWNERS_KEPT


def test_answers_over_the_budget_are_graded_offline_and_say_why():
    model = FunctionModel(lambda call: grade_responder(call.body()), model="m")
    grader = Budgeted(LLMGrader(model, Settings().llm), LLMBudget(2, Clock()), ALICE)
    s = Session.start(QUESTIONS[:4], SessionSettings(count=4, followups=0), Graders(grader=grader))
    for _ in range(4):
        asyncio.run(s.answer("Bias audits and human oversight, then monitoring."))
    graders = [t.grade.grader for t in s.turns]
    assert graders[:2] == ["llm:m", "llm:m"] and all(g.startswith("offline") for g in graders[2:])
    assert "INTERVIEWER_LLM_PER_MINUTE" in s.turns[2].grade.fallback_reason
    assert len(model.calls) == 2  # nothing more reached the model


def test_try_again_stops_at_the_attempts_allowed():
    for allowed in (1, 3):
        s = Session.start(QUESTIONS[:1], SessionSettings(count=1, followups=0, mode="practice", attempts=allowed))
        asyncio.run(s.answer("An answer."))
        for _ in range(allowed - 1):
            assert not isinstance(s.retry(), Refused)
            asyncio.run(s.answer("Another answer."))
        refused = s.retry()
        assert isinstance(refused, Refused) and f"attempt {allowed}" in refused.reason


def handlers(tmp_path: Path, **settings) -> Handlers:
    config = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", **settings)
    return Handlers(App(Store(tmp_path / "data"), config), bundled_banks(config))


def test_an_answer_over_the_length_limit_is_refused_and_kept(tmp_path):
    h = handlers(tmp_path)
    form = StartForm([next(iter(h.banks))], 2, "in-order", "practice", False, "", "", "", None)
    ws = asyncio.run(h.start(form, ALICE, None, "t")).ws

    async def said(text):
        return [vm async for vm in h.answer(text, ws)]

    (refused,) = asyncio.run(said("x" * (ANSWER_LIMIT + 1)))
    assert isinstance(refused, NoticeView) and "still in the box" in refused.text and not ws.session.turns[0].answer
    assert ws.session.turns[0].answer is None
    asyncio.run(said("y" * ANSWER_LIMIT))  # at the limit: taken
    assert ws.session.turns[0].answer == "y" * ANSWER_LIMIT


def test_drafting_refuses_a_topic_or_job_description_over_its_limit_before_any_llm_call(tmp_path):
    h = handlers(tmp_path)
    for topic, jd in (("k" * 201, ""), ("", "j" * 20_001)):
        view = asyncio.run(draft_bank(h.app, h.banks, DraftForm(topic, jd, 3, "mid", 0, owner=ALICE)))
        assert "characters long: the most is" in view.note and view.path is None


def test_regrading_with_the_servers_llm_is_refused_over_the_budget(tmp_path):
    h = handlers(tmp_path, llm_per_minute=1)
    history = HistoryTab(h.app, h.banks)
    h.app.llm_budget.take(ALICE)  # the minute's one call is spent
    said = asyncio.run(history.regrade_past("some-session", "server", ALICE))
    assert "Cannot re-grade now" in said and "INTERVIEWER_LLM_PER_MINUTE" in said
