"""Try again (issue 13, part 3): a further attempt at the question just graded is a new turn with the same
question id and `attempt` 2, 3, ...; it is graded as usual and compared with the attempt before; every attempt
stays; the summary uses the last one and counts them; the review schedule sees one review, rated by the first
attempt. Through the engine, the history, the terminal and the web API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from gradio_client import Client

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.presentation import render_transcript
from interviewer.service import App
from interviewer.session import Refused, Session, SessionSettings
from interviewer.store import Store
from tests.support.browser import served
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
QS = load_bank(ROOT / "bank" / "genai_misc.md").questions
WEAK = "Bias amplification."
STRONG = ("Bias amplification, misinformation generation, privacy violations and intellectual property issues; "
          "I use diverse training data, bias auditing, content filtering and human oversight.")  # fmt: skip


def practice(n: int = 2, mode: str = "practice") -> Session:
    return Session.start(QS[:n], SessionSettings(count=n, followups=0, mode=mode))


def test_a_retry_is_a_new_attempt_and_the_next_question_comes_after_it():
    s = practice()
    assert not s.can_retry()  # nothing graded yet
    asyncio.run(s.answer(WEAK))
    assert s.can_retry()
    assert s.retry() == f"Question 1 of 2 (attempt 2): {QS[0].text}"
    assert not s.can_retry()  # not twice in a row: answer first
    assert [(t.question_id, t.attempt) for t in s.turns] == [(QS[0].id, 1), (QS[0].id, 2)]
    step = asyncio.run(s.answer(STRONG))
    assert step.next_question == f"Question 2 of 2: {QS[1].text}"
    first, second = s.turns[0].grade, s.turns[1].grade
    assert second.overall > first.overall and first.overall == s.turns[0].grade.overall  # the first is kept
    asyncio.run(s.answer("A legal drafting system with RAG; I cut drafting time by 60%."))
    summary = s.summary()
    assert summary.total == 2 and summary.answered == 2 and summary.retries == 1
    scored = {q.question_id: q for q in [*summary.weakest, *summary.strongest]}
    assert scored[QS[0].id].overall == second.overall and scored[QS[0].id].attempts == 2


def test_the_last_question_can_be_tried_again_and_the_session_goes_on_for_it():
    s = practice(1)
    asyncio.run(s.answer(WEAK))
    assert s.finished and s.can_retry()
    s.retry()
    assert not s.finished and s.current.attempt == 2
    assert asyncio.run(s.answer(STRONG)).finished
    assert s.summary().retries == 1


def test_mock_mode_has_no_retries_until_the_end():
    s = practice(mode="mock")
    asyncio.run(s.answer(WEAK))
    refused = s.retry()
    assert not s.can_retry() and isinstance(refused, Refused) and "Mock mode has no retries" in refused.reason
    assert len(s.turns) == 2 and s.turns[1].attempt == 1


def test_the_transcript_shows_every_attempt_and_what_changed():
    s = practice()
    asyncio.run(s.answer(WEAK))
    s.retry()
    asyncio.run(s.answer(STRONG))
    s.end()
    markdown = render_transcript(s.transcript(), "markdown")
    assert f"## Question 1: {QS[0].text} (attempt 2)" in markdown and "1 retry" in markdown
    assert "**Attempt 2: +" in markdown and "Newly covered: " in markdown and "coverage " in markdown
    data = json.loads(render_transcript(s.transcript(), "json"))
    assert [t["attempt"] for t in data["turns"]] == [1, 2]


def test_every_attempt_is_saved_and_the_review_schedule_sees_only_the_first(tmp_path):
    core = App(Store(tmp_path), Settings()).scope(Owner.terminal())
    s = core.start(QS[:2], core.app.session_settings(count=2, followups=0))
    asyncio.run(s.answer(WEAK))
    before = core.review_states()
    s.retry()
    asyncio.run(s.answer(STRONG))
    after = core.review_states()
    assert after[QS[0].id] == before[QS[0].id]  # a retry right after the feedback is not recall
    saved = core.saved_transcript(s.session_id)
    assert [(t.question_id, t.attempt, t.answer) for t in saved.turns] == [
        (QS[0].id, 1, WEAK), (QS[0].id, 2, STRONG), (QS[1].id, 1, None)
    ]  # fmt: skip
    resumed = core.resume(s.session_id)
    assert resumed.question_message() == f"Question 2 of 2: {QS[1].text}"


def test_a_retry_asked_but_not_answered_resumes_as_that_attempt(tmp_path):
    core = App(Store(tmp_path), Settings()).scope(Owner.terminal())
    s = core.start(QS[:2], core.app.session_settings(count=2, followups=0))
    asyncio.run(s.answer(WEAK))
    s.retry()
    resumed = core.resume(s.session_id)
    assert resumed.question_message() == f"Question 1 of 2 (attempt 2): {QS[0].text}"


def test_the_terminal_retries_with_slash_retry_and_says_what_changed(tmp_path):
    typed = f"{WEAK}\n\n/retry\n{STRONG}\n\n/end\n"
    result = run_cli("practice", "-n", "2", "--followups", "0", "--out", "tr", stdin=typed,
                     env={"INTERVIEWER_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert result.code == 0, result.err
    out = result.out
    assert "(/retry answers that question again.)" in out
    assert f"Question 1 of 2 (attempt 2): {QS[0].text}" in out
    change = out.index("Attempt 2: +")
    assert "Newly covered: " in out[change:] and change < out.rindex(f"Question 2 of 2: {QS[1].text}")
    assert "1 retry" in out


def test_the_web_api_has_a_retry_endpoint(tmp_path):
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path / "data")) as url:
        client = Client(url, verbose=False)
        client.predict(count=2, followups=False, api_name="/start")
        client.predict(WEAK, api_name="/answer")
        chat = client.predict(api_name="/retry")[0]
        assert any("(attempt 2)" in str(m) for m in chat)
        client.predict(STRONG, api_name="/answer")
        data = json.loads(Path(client.predict("json", api_name="/transcript")).read_text(encoding="utf-8"))
    assert [(t["question_id"], t["attempt"]) for t in data["turns"][:2]] == [(QS[0].id, 1), (QS[0].id, 2)]


def test_a_skipped_retry_keeps_the_answer_before_it_and_an_ended_interview_stays_ended(tmp_path):
    s = practice()
    asyncio.run(s.answer(STRONG))
    first = s.turns[0].grade.overall
    s.retry()
    s.skip()  # gave up on the second attempt
    scored = {q.question_id: q.overall for q in [*s.summary().weakest, *s.summary().strongest]}
    assert scored[QS[0].id] == first and s.summary().answered == 1 and s.summary().skipped == 0

    early = practice(3)
    asyncio.run(early.answer(WEAK))
    early.end()  # ended at question 2 of 3
    assert not early.can_retry() and early.finished

    core = App(Store(tmp_path), Settings()).scope(Owner.terminal())
    saved = core.start(QS[:2], core.app.session_settings(count=2, followups=0))
    asyncio.run(saved.answer(WEAK))
    saved.retry()
    asyncio.run(saved.answer(STRONG))
    [row] = core.sessions()
    assert row.answered == 1  # questions answered, not attempts


def test_the_terminal_offers_retry_only_while_it_can_take_one(tmp_path):
    result = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=f"{WEAK}\n\n",
                     env={"INTERVIEWER_DATA_DIR": str(tmp_path / "data")})  # fmt: skip
    assert result.code == 0 and "/retry answers" not in result.out  # the last feedback ends the session
