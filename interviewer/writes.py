"""The writes one history transaction can make (see `Store.transaction`): SQL from models."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime

from .bank import Question
from .errors import HistoryUnavailable
from .owner import Owner
from .review import ReviewState
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord


class AnswerConflict(HistoryUnavailable):
    """A write would replace an answer already saved with another one."""


def question_hash(question: str, reference: str) -> str:
    """Recognises an edited question: the same id with another text is a new question to review."""
    return hashlib.sha256(f"{question}\n\x00\n{reference}".encode()).hexdigest()[:16]


class Transaction:
    """The writes one transaction can make (see `Store.transaction`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def session_exists(self, session_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def insert_session(self, tr: Transcript, owner: Owner, questions: list[Question]) -> None:
        self.conn.execute(
            "INSERT INTO sessions (id, owner, started_at, settings, grader, questions, total, regrade_of)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                tr.session_id,
                owner.key,
                _iso(tr.started_at),
                json.dumps(tr.settings),
                tr.grader,
                json.dumps([q.model_dump() for q in questions]),
                len(questions),
                tr.regrade_of,
            ),
        )

    def delete_session(self, session_id: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def update_session(
        self, session_id: str, finished: datetime | None, summary: Summary, usage: Usage, turns: int
    ) -> None:
        """The session's totals, and its turns cut to `turns` (an asked but unanswered last one is dropped)."""
        self.conn.execute("DELETE FROM turns WHERE session_id = ? AND idx >= ?", (session_id, turns))
        self.conn.execute(
            "UPDATE sessions SET finished_at = ?, overall = ?, summary = ?, prompt_tokens = ?, completion_tokens = ?,"
            " cost_usd = ? WHERE id = ?",
            (
                _iso(finished),
                summary.overall,
                summary.model_dump_json(),
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.estimated_cost_usd,
                session_id,
            ),
        )

    def save_turn(self, session_id: str, idx: int, turn: TurnRecord) -> None:
        """Insert or update a turn. An answered turn is never given another answer (another copy of the
        session, e.g. a second tab, answered it first): that raises AnswerConflict and writes nothing."""
        saved = self.conn.execute(
            "SELECT answer FROM turns WHERE session_id = ? AND idx = ?", (session_id, idx)
        ).fetchone()
        if saved is not None and saved[0] is not None and saved[0] != turn.answer:
            raise AnswerConflict(
                f"question {idx + 1} of this session was answered elsewhere (another tab?): this copy's answer "
                "is kept here but not saved over it"
            )
        self._write_turn(session_id, idx, turn)

    def _write_turn(self, session_id: str, idx: int, turn: TurnRecord) -> None:
        self.conn.execute(
            "INSERT INTO turns (session_id, idx, question_id, question_hash, question, reference, kind, answer,"
            " skipped, asked_at, answered_at, attempt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            # every column: an asked, untouched question can give its place to a retry of the one before
            " ON CONFLICT (session_id, idx) DO UPDATE SET question_id = excluded.question_id,"
            " question_hash = excluded.question_hash, question = excluded.question,"
            " reference = excluded.reference, kind = excluded.kind, answer = excluded.answer,"
            " skipped = excluded.skipped, asked_at = excluded.asked_at, answered_at = excluded.answered_at,"
            " attempt = excluded.attempt",
            (
                session_id,
                idx,
                turn.question_id,
                question_hash(turn.question, turn.reference),
                turn.question,
                turn.reference,
                turn.kind,
                turn.answer,
                int(turn.skipped),
                _iso(turn.asked_at),
                _iso(turn.answered_at),
                turn.attempt,
            ),
        )
        key = (session_id, idx)
        self.conn.execute("DELETE FROM followups WHERE session_id = ? AND idx = ?", key)
        self.conn.executemany(
            "INSERT INTO followups VALUES (?,?,?,?,?)",
            [(*key, n, f.question, f.answer) for n, f in enumerate(turn.followups)],
        )
        self.conn.execute("DELETE FROM hints WHERE session_id = ? AND idx = ?", key)
        self.conn.executemany(
            "INSERT INTO hints (session_id, idx, n, hint, level, cost, point) VALUES (?,?,?,?,?,?,?)",
            [(*key, n, h.text, h.level, h.cost, h.point) for n, h in enumerate(turn.hints)],
        )
        self.conn.execute("DELETE FROM grades WHERE session_id = ? AND idx = ?", key)
        if turn.grade is not None:
            g = turn.grade
            model = g.grader.removeprefix("llm:") if g.grader.startswith("llm:") else None
            self.conn.execute(
                "INSERT INTO grades VALUES (?,?,?,?,?,?)", (*key, g.grader, model, g.overall, g.model_dump_json())
            )

    def review_state(self, owner: Owner, question_id: str, digest: str) -> ReviewState | None:
        """The owner's review state of a question, unless the question was edited since (another digest)."""
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE owner = ? AND question_id = ?", (owner.key, question_id)
        ).fetchone()
        return ReviewState.model_validate_json(row["state"]) if row and row["question_hash"] == digest else None

    def put_review_state(self, owner: Owner, state: ReviewState, digest: str, when: datetime) -> None:
        self.conn.execute(
            "INSERT INTO reviews VALUES (?,?,?,?,?,?) ON CONFLICT (owner, question_id) DO UPDATE SET"
            " question_hash = excluded.question_hash, state = excluded.state, due = excluded.due,"
            " updated_at = excluded.updated_at",
            (owner.key, state.question_id, digest, state.model_dump_json(), _iso(state.due), _iso(when)),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
