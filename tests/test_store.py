"""History store: migrations, autosave, resume after a kill, concurrent writers, import/export, review order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.migrations import head
from interviewer.owner import ALL_OWNERS, Owner
from interviewer.recorder import Recorder, import_transcript
from interviewer.review import DueCount, count_due, order_due, order_weakest, rating_for
from interviewer.service import App
from interviewer.session import Session, SessionEvent, SessionSettings
from interviewer.store import Store
from interviewer.transcript import Transcript
from tests.support.cli import run_cli
from tests.support.legacy_schema import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
TERMINAL = Owner.terminal()
GOOD = (
    "GANs give sharp samples but training is unstable and suffers mode collapse, because the generator and "
    "discriminator play a minimax game. VAEs train stably with a probabilistic latent space, but outputs are "
    "blurrier due to the reconstruction loss. Diffusion models give quality and control at a higher compute cost."
)
WEAK = "GANs and VAEs are both generative models and they are used for images."


def run(coro):
    return asyncio.run(coro)


def new_session(store: Store, questions, **settings) -> Session:
    s = SessionSettings(count=len(questions), followups=0, **settings)
    return Session.start(list(questions), s, on_event=Recorder(store, TERMINAL))


def test_migrates_a_blank_database(tmp_path):
    store = Store(tmp_path)
    assert store.revision == head()
    with sqlite3.connect(store.path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sessions", "turns", "followups", "hints", "grades", "reviews"} <= tables
    Store(tmp_path)  # opening again is a no-op
    assert store.revision == head()


def test_opens_a_database_written_by_the_first_schema(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:  # what version 1 of the app wrote
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO sessions (id, started_at, settings, grader, questions, total) VALUES (?,?,?,?,?,?)",
            ("old-session", "2026-01-01T10:00:00+00:00", json.dumps({"mode": "practice"}), "offline", "[]", 1),
        )
        conn.execute(
            "INSERT INTO turns (session_id, idx, question_id, question_hash, question, reference, kind, answer)"
            " VALUES ('old-session', 0, 'genai_misc#5', 'x', 'Q?', 'R.', 'technical', 'my old answer')"
        )
    store = Store(tmp_path)
    assert store.revision == head()
    tr = store.transcript("old-session")
    assert tr.turns[0].answer == "my old answer"
    assert store.review_states(TERMINAL) == {}  # the table added by migration 2 exists and is empty


def test_refuses_a_database_from_a_newer_version(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(Exception, match="newer version"):
        Store(tmp_path)


def test_every_event_is_saved_as_it_happens(tmp_path):
    store = Store(tmp_path)
    s = new_session(store, QUESTIONS[4:6])
    s.hint()
    assert store.transcript(s.session_id).turns[0].hints == [s.turns[0].hints[0]]
    run(s.answer(GOOD))
    saved = store.transcript(s.session_id)
    assert saved.turns[0].answer == GOOD
    assert saved.turns[0].grade == s.turns[0].grade
    assert len(saved.turns) == 2 and saved.turns[1].answer is None  # the next question was asked
    assert store.sessions(TERMINAL)[0].finished_at is None
    s.skip()
    row = store.sessions(TERMINAL)[0]
    assert row.finished_at is not None and row.answered == 2
    assert store.transcript(s.session_id).to_json() == s.transcript().to_json()


def test_resume_grades_an_answer_saved_before_its_grade(tmp_path):
    store = Store(tmp_path)
    s = new_session(store, QUESTIONS[4:6])
    # Simulate a crash between saving the answer and grading it.
    s.turns[0].answer = GOOD
    Recorder(store, TERMINAL)(SessionEvent("answered", s, 0))
    restored = App(store, Settings()).scope(TERMINAL).resume(s.session_id)
    step = run(restored.settle())
    assert step is not None and step.feedback is not None and step.feedback.overall > 0
    assert restored.question_message().startswith("Question 2 of 2")
    assert store.transcript(s.session_id).turns[0].grade is not None


@pytest.mark.slow  # a real process, killed with SIGKILL
def test_killed_practice_session_resumes_with_both_answers(tmp_path):
    """A terminal session killed with SIGKILL after two answers resumes with both of them."""
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer", "practice", "-n", "4", "--followups", "0", "--out", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, text=True,
    )
    answers = ["First answer about bias audits and human oversight.", "Second answer about my legal drafting project."]
    for answer in answers:
        proc.stdin.write(answer + "\n\n")
        proc.stdin.flush()
    deadline = time.monotonic() + 60
    store = Store(tmp_path / "data")
    while time.monotonic() < deadline:  # wait until both answers are graded and saved
        rows = store.sessions(TERMINAL)
        if rows and rows[0].answered >= 2 and store.transcript(rows[0].id).turns[1].grade is not None:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    row = App(store, Settings()).scope(TERMINAL).unfinished()[0]
    assert [t.answer for t in store.transcript(row.id).turns[:2]] == answers

    resumed = run_cli("practice", "--resume", "--out", str(tmp_path), stdin="Third answer.\n\n/end\n",
                      env={"INTERVIEWER_DATA_DIR": env["INTERVIEWER_DATA_DIR"]})
    assert resumed.code == 0, resumed.err
    assert "Resuming session" in resumed.out and "2 of 4" in resumed.out
    tr = store.transcript(row.id)
    assert [t.answer for t in tr.turns] == [*answers, "Third answer."]
    assert tr.finished_at is not None


@pytest.mark.slow
def test_fifty_concurrent_sessions_write_without_lock_errors(tmp_path, database_url):
    store = Store(tmp_path, url=database_url)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            s = new_session(Store(tmp_path, url=database_url), QUESTIONS[i % 10 : i % 10 + 2])
            run(s.answer(f"answer {i} " + GOOD))
            run(s.answer(f"answer {i} " + WEAK))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = store.sessions(TERMINAL)
    assert len(rows) == 50 and all(r.finished_at and r.answered == 2 for r in rows)
    answers = {t.answer for r in rows for t in store.transcript(r.id).turns}
    assert {f"answer {i} " + GOOD for i in range(50)} <= answers


def test_export_import_round_trip(tmp_path):
    source = Store(tmp_path / "a")
    s = new_session(source, QUESTIONS[:3])
    run(s.answer(GOOD))
    s.hint()
    s.skip()
    run(s.answer(WEAK))
    exported = source.transcript(s.session_id).to_json()

    target = Store(tmp_path / "b")
    import_transcript(target, Transcript.from_json(exported), TERMINAL)
    assert target.transcript(s.session_id).to_json() == exported
    with pytest.raises(Exception, match="already in the history"):
        import_transcript(target, Transcript.from_json(exported), TERMINAL)


def test_delete(tmp_path):
    store = Store(tmp_path)
    a = new_session(store, QUESTIONS[:1])
    b = new_session(store, QUESTIONS[1:2])
    store.delete(a.session_id)
    assert [r.id for r in store.sessions(TERMINAL)] == [b.session_id]
    assert store.delete_all(TERMINAL) == 1 and store.sessions(TERMINAL) == []


def test_owners_see_only_their_sessions(tmp_path):
    store = Store(tmp_path)
    one = SessionSettings(count=1, followups=0)
    mine = Session.start(list(QUESTIONS[:1]), one, on_event=Recorder(store, Owner.browser("me")))
    Session.start(list(QUESTIONS[1:2]), one, on_event=Recorder(store, Owner.browser("someone else")))
    assert [r.id for r in store.sessions(Owner.browser("me"))] == [mine.session_id]
    assert len(store.sessions(ALL_OWNERS)) == 2
    store.delete_all(Owner.browser("me"))
    assert store.sessions(Owner.browser("me")) == [] and len(store.sessions(ALL_OWNERS)) == 1


def test_ratings_follow_scores():
    assert [rating_for(x).name for x in (None, 10, 50, 70, 95)] == ["Again", "Again", "Hard", "Good", "Easy"]


def test_review_order_follows_fsrs_for_a_scripted_history(tmp_path):
    """Scripted history, answered three days ago: q5 failed (20), q6 hard (50), q7 excellent (95), q8 unseen.

    FSRS (one-day steps): Again and Hard come back after 1 and 1.5 days, Easy after 8 days.
    So three days later q5 and q6 are due, q7 is not, and the unseen q8 is new (ordered after the due ones).
    """
    q5, q6, q7, q8 = QUESTIONS[4:8]
    then = datetime.now(UTC) - timedelta(days=3)
    store = Store(tmp_path)
    for question, score in ((q5, 20.0), (q6, 50.0), (q7, 95.0)):
        s = Session.start([question], SessionSettings(count=1, followups=0))
        run(s.answer(GOOD))
        tr = s.transcript()
        tr.turns[0].answered_at = then
        tr.turns[0].grade = tr.turns[0].grade.model_copy(update={"overall": score})
        import_transcript(store, tr, TERMINAL)
    states = store.review_states(TERMINAL)
    now = datetime.now(UTC)
    assert states[q5.id].due == then + timedelta(days=1)
    assert states[q6.id].due == then + timedelta(days=1, hours=12)
    assert states[q7.id].due == then + timedelta(days=8)
    assert count_due([q5, q6, q7, q8], states, now) == DueCount(due=2, seen=3, unseen=1)  # q8 is new, not due
    # Due first, weakest first (an unseen question counts as 50, after a failed one); then the rest.
    assert order_due([q7, q8, q6, q5], states, now) == [q5, q8, q6, q7]
    assert order_weakest([q7, q8, q6, q5], states)[0] == q5
    assert order_weakest([q7, q8, q6, q5], states)[-1] == q7

    # A second, excellent attempt at q5 now pushes it out of the due list.
    s = Session.start([q5], SessionSettings(count=1, followups=0))
    run(s.answer(GOOD))
    tr = s.transcript()
    tr.turns[0].grade = tr.turns[0].grade.model_copy(update={"overall": 95.0})
    import_transcript(store, tr, TERMINAL)
    states = store.review_states(TERMINAL)
    assert states[q5.id].attempts == 2 and states[q5.id].due > now
    assert order_due([q7, q8, q6, q5], states, now) == [q8, q6, q7, q5]  # not due: soonest first


def test_resume_of_a_session_saved_before_its_first_question_asks_it_once(tmp_path):
    store = Store(tmp_path)
    s = new_session(store, QUESTIONS[:3])
    with sqlite3.connect(store.path) as conn:  # a crash right after the session row was written
        conn.execute("DELETE FROM turns WHERE session_id = ?", (s.session_id,))
    restored = App(store, Settings()).scope(TERMINAL).resume(s.session_id)
    assert [t.question_id for t in restored.turns] == [QUESTIONS[0].id]
    assert restored.question_message().startswith(f"Question 1 of 3: {QUESTIONS[0].text}")


def test_a_session_ended_before_any_answer_leaves_nothing(tmp_path):
    store = Store(tmp_path)
    s = new_session(store, QUESTIONS[:2])
    s.end()
    assert store.sessions(TERMINAL) == []


def test_review_state_is_kept_per_owner(tmp_path):
    store = Store(tmp_path)
    for owner, answer in (("alice", GOOD), ("bob", WEAK)):
        recorder = Recorder(store, Owner.browser(owner))
        s = Session.start([QUESTIONS[4]], SessionSettings(count=1, followups=0), on_event=recorder)
        run(s.answer(answer))
    alice, bob = store.review_states(Owner.browser("alice")), store.review_states(Owner.browser("bob"))
    assert alice[QUESTIONS[4].id].last_score > bob[QUESTIONS[4].id].last_score
    assert store.review_states(TERMINAL) == {}  # the command line's own reviews: none yet
    store.delete_all(Owner.browser("bob"))
    assert store.review_states(Owner.browser("bob")) == {}
    assert QUESTIONS[4].id in store.review_states(Owner.browser("alice"))


def test_migration_3_keeps_the_command_lines_reviews(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:  # a database at schema 2, with one review
        for script in MIGRATIONS[:2]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 2")
        conn.execute("INSERT INTO reviews VALUES ('genai_misc#5', 'h', ?, '2026-01-02T00:00:00+00:00', "
                     "'2026-01-01T00:00:00+00:00')",
                     ('{"question_id": "genai_misc#5", "card": {}, "last_score": 12.0, "attempts": 1}',))
    store = Store(tmp_path)
    assert store.revision == head()
    assert store.review_states(TERMINAL)["genai_misc#5"].last_score == 12.0


def test_a_writer_thread_saves_every_event_in_order_and_the_session_waits_for_it_only_when_asked(tmp_path):
    """The web app's history writes on a thread of its own (a database server's round trips are waits): each
    event's copy is written in order, and `saved()` / `history_problem()` wait until they are."""
    from interviewer.recorder import Writer

    store, writer = Store(tmp_path), Writer()
    recorder = Recorder(store, TERMINAL, writer)
    s = Session.start(list(QUESTIONS[:3]), SessionSettings(count=3, followups=0), on_event=recorder)
    run(s.answer("Bias and misinformation, with human review of outputs."))
    s.skip()
    run(s.answer("Quantisation and distillation make the model smaller and faster."))
    run(s.saved())
    saved = store.transcript(s.session_id)
    assert [t.answer for t in saved.turns] == [t.answer for t in s.turns] and saved.finished_at == s.finished_at
    assert [t.skipped for t in saved.turns] == [False, True, False] and saved.summary == s.summary()
    assert s.history_problem() is None


def test_a_turn_dropped_and_asked_again_keeps_none_of_the_old_ones_hints(tmp_path, database_url):
    """A new turn's hints, follow-ups and grade are not deleted before it is written (it has none): those of a
    turn dropped at the same place went with it (ON DELETE CASCADE), on both databases."""
    from interviewer.grading.models import Hint
    from interviewer.tokens import Usage
    from interviewer.transcript import TurnRecord, summarise

    store = Store(tmp_path, url=database_url)
    q = QUESTIONS[0]
    tr = Transcript(session_id="s" * 12, started_at=datetime.now(UTC), grader="offline")
    turn = TurnRecord(question_id=q.id, question=q.text, reference=q.reference, kind=q.kind)
    with store.transaction() as tx:
        tx.insert_session(tr, TERMINAL, [q])
        tx.save_turn(tr.session_id, 0, turn.model_copy(update={"hints": [Hint(level=1, text="OLD HINT", cost=5)]}))
    with store.transaction() as tx:
        tx.update_session(tr.session_id, None, summarise([]), Usage(), turns_kept=0)  # the asked turn is dropped
        tx.save_turn(tr.session_id, 0, turn)  # and asked again, as a new turn
    assert store.transcript(tr.session_id).turns[0].hints == []
