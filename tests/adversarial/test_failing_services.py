"""A failing LLM server in the middle of a session: the session goes on offline, says so, loses nothing,
never waits past the budget, and uses the LLM again once the server is back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.grading.llm_grader import LLMGrader
from interviewer.llm import Endpoint, LLMClient
from interviewer.session import Graders, Session, SessionSettings
from tests.support.fake_openai import FakeOpenAI
from tests.support.responders import grade_responder
from tests.support.steps import notice_of

pytestmark = pytest.mark.slow  # each test waits out LLM timeouts and budgets of seconds

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ANSWERS = [
    "Bias amplification and misinformation; I audit for bias and keep human oversight because data is skewed.",
    "I led a RAG project for contract drafting; I built the retrieval and cut drafting time by 40%.",
    "Latent space is a compressed representation where similar points cluster, so you can interpolate.",
    "I conditioned generation with control tokens and classifier-free guidance to steer the style.",
    "GANs are sharp but unstable with mode collapse; VAEs are stable but blurry from reconstruction loss.",
]



def grader(fake: FakeOpenAI, budget: float, timeout: float = 1.0, retries: int = 2) -> LLMGrader:
    client = LLMClient("fake-model", Endpoint(base_url=fake.base_url, timeout=timeout, retries=retries))
    return LLMGrader(client, Settings(llm_budget=budget).llm)


def test_server_stops_mid_session_then_comes_back():
    with FakeOpenAI(responder=grade_responder) as fake:
        session = Session.start(QUESTIONS[:5], SessionSettings(count=5, followups=0),
                                graders=Graders(grader=grader(fake, budget=5)))

        async def play() -> list:
            steps = [await session.answer(ANSWERS[0])]
            fake.down()  # the server dies in the middle of the session
            steps += [await session.answer(a) for a in ANSWERS[1:3]]
            fake.up()  # and comes back
            steps += [await session.answer(a) for a in ANSWERS[3:]]
            return steps

        steps = asyncio.run(play())
    turns = session.transcript().turns
    assert [t.answer for t in turns] == ANSWERS  # nothing lost
    assert [t.grade.grader for t in turns] == ["llm:fake-model", "offline:words", "offline:words", "llm:fake-model",
                                               "llm:fake-model"]
    for step in steps[1:3]:
        assert notice_of(step) and "could not connect" in notice_of(step) and "graded offline" in notice_of(step)
    assert notice_of(steps[0]) is None and notice_of(steps[3]) is None
    assert session.finished and session.summary().answered == 5


def test_a_server_answering_500_for_a_minute_never_keeps_the_candidate_waiting():
    budget = 1.5
    with FakeOpenAI(responder=grade_responder) as fake:
        fake.fail_for(60, 500)
        # Retries with backoff would take longer than the budget: the budget wins.
        session = Session.start(QUESTIONS[:3], SessionSettings(count=3, followups=0),
                          graders=Graders(grader=grader(fake, budget=budget, timeout=5, retries=6)))
        waits = []
        for answer in ANSWERS[:2]:
            started = time.monotonic()
            step = asyncio.run(session.answer(answer))
            waits.append(time.monotonic() - started)
            assert notice_of(step) and "graded offline" in notice_of(step)
        fake.reset()  # the minute is over
        step = asyncio.run(session.answer(ANSWERS[2]))
        requests = len(fake.requests)
    assert all(w < budget + 1.0 for w in waits), waits
    turns = session.transcript().turns
    assert [t.answer for t in turns] == ANSWERS[:3]
    assert [t.grade.grader for t in turns] == ["offline:words", "offline:words", "llm:fake-model"]
    assert all(t.grade.fallback_reason for t in turns[:2])
    assert requests == 1 and step.finished
