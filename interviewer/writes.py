"""The writes one history transaction can make (see `Store.transaction`): SQL from models."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .bank import Question
from .errors import HistoryUnavailable
from .grading.models import GraderId
from .owner import Owner
from .review import ReviewState
from .schema import followups, grades, hints, reviews, sessions, turns
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord


class AnswerConflict(HistoryUnavailable):
    """A write would replace an answer already saved with another one."""


def question_hash(question: str, reference: str) -> str:
    """Recognises an edited question: the same id with another text is a new question to review."""
    return hashlib.sha256(f"{question}\n\x00\n{reference}".encode()).hexdigest()[:16]


# The statements every answer runs, built once and given their values when run: building one per call made
# SQLAlchemy walk it for its cache key each time, 5x the cost of running it prebuilt (250 against 50 us).
_SESSION_ID = select(sessions.c.id).where(sessions.c.id == bindparam("b_session"))
_DELETE_SESSION = delete(sessions).where(sessions.c.id == bindparam("b_session"))
_UPDATE_SESSION = update(sessions).where(sessions.c.id == bindparam("b_session"))
_THIS_TURN = (turns.c.session_id == bindparam("b_session"), turns.c.idx == bindparam("b_idx"))
_SAVED_ANSWER = select(turns.c.answer).where(*_THIS_TURN).with_for_update()
_UPDATE_TURN = update(turns).where(*_THIS_TURN)
_DROP_TURNS_FROM = delete(turns).where(turns.c.session_id == bindparam("b_session"), turns.c.idx >= bindparam("b_idx"))
_DELETE_CHILDREN = {
    t: delete(t).where(t.c.session_id == bindparam("b_session"), t.c.idx == bindparam("b_idx"))
    for t in (followups, hints, grades)
}
_REVIEW_STATE = (
    select(reviews.c.question_hash, reviews.c.state)
    .where(reviews.c.owner == bindparam("b_owner"), reviews.c.question_id == bindparam("b_question"))
    .with_for_update()
)


class Transaction:
    """The writes one transaction can make (see `Store.transaction`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def session_exists(self, session_id: str) -> bool:
        return self.conn.execute(_SESSION_ID, {"b_session": session_id}).first() is not None

    def insert_session(self, tr: Transcript, owner: Owner, questions: list[Question]) -> None:
        row = {
            "id": tr.session_id,
            "owner": owner.key,
            "started_at": _iso(tr.started_at),
            "settings": json.dumps(tr.settings),
            "grader": tr.grader,
            "questions": json.dumps([q.model_dump() for q in questions]),
            "total": len(questions),
            "regrade_of": tr.regrade_of,
        }
        self.conn.execute(insert(sessions), _storable(self.conn, row))

    def delete_session(self, session_id: str) -> None:
        self.conn.execute(_DELETE_SESSION, {"b_session": session_id})

    def update_session(
        self, session_id: str, finished: datetime | None, summary: Summary, usage: Usage, turns_kept: int
    ) -> None:
        """The session's totals, and its turns cut to `turns_kept` (an asked but unanswered last one is dropped)."""
        self.conn.execute(_DROP_TURNS_FROM, {"b_session": session_id, "b_idx": turns_kept})
        totals = {
            "b_session": session_id,
            "finished_at": _iso(finished),
            "overall": summary.overall,
            "summary": summary.model_dump_json(),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": usage.estimated_cost_usd,
        }
        self.conn.execute(_UPDATE_SESSION, totals)

    def save_turn(self, session_id: str, idx: int, turn: TurnRecord) -> None:
        """Insert or update a turn. An answered turn is never given another answer (another copy of the
        session, e.g. a second tab, answered it first): that raises AnswerConflict and writes nothing."""
        saved = self.conn.execute(_SAVED_ANSWER, {"b_session": session_id, "b_idx": idx}).first()
        if saved is not None and saved[0] is not None and saved[0] != _storable(self.conn, turn.answer):
            raise AnswerConflict(
                f"question {idx + 1} of this session was answered elsewhere (another tab?): this copy's answer "
                "is kept here but not saved over it"
            )
        self._write_turn(session_id, idx, turn, new=saved is None)

    def save_draft(self, session_id: str, idx: int, draft: str | None) -> None:
        """Only the turn's unsent text: the autosave runs as the candidate types, so it writes one column."""
        self.conn.execute(_UPDATE_TURN, {"b_session": session_id, "b_idx": idx, "draft": _storable(self.conn, draft)})

    def _write_turn(self, session_id: str, idx: int, turn: TurnRecord, new: bool) -> None:
        key = {"session_id": session_id, "idx": idx}
        # every column: an asked, untouched question can give its place to a retry of the one before
        row = {
            **key,
            "question_id": turn.question_id,
            "question_hash": question_hash(turn.question, turn.reference),
            "question": turn.question,
            "reference": turn.reference,
            "kind": turn.kind,
            "answer": turn.answer,
            "draft": turn.draft,
            "skipped": int(turn.skipped),
            "asked_at": _iso(turn.asked_at),
            "answered_at": _iso(turn.answered_at),
            "attempt": turn.attempt,
        }
        _upsert(self.conn, turns, row, ("session_id", "idx"))
        children = (
            (
                followups,
                [{**key, "n": n, "question": f.question, "answer": f.answer} for n, f in enumerate(turn.followups)],
            ),
            (
                hints,
                [
                    {**key, "n": n, "hint": h.text, "level": h.level, "cost": h.cost, "point": h.point}
                    for n, h in enumerate(turn.hints)
                ],
            ),
            (grades, [_grade_row(key, turn)] if turn.grade is not None else []),
        )
        for table, rows in children:
            # A new turn has none to replace (a dropped turn's went with it: ON DELETE CASCADE), unless another
            # copy of the session (a second tab) wrote the same new turn a moment ago.
            if not new or rows:
                self.conn.execute(_DELETE_CHILDREN[table], {"b_session": session_id, "b_idx": idx})
            if rows:
                self.conn.execute(insert(table), [_storable(self.conn, r) for r in rows])

    def review_state(self, owner: Owner, question_id: str, digest: str) -> ReviewState | None:
        """The owner's review state of a question, unless the question was edited since (another digest).

        The row is locked until the transaction ends, so two replicas grading the same owner's question at
        once update it one after the other (a missing row is first inserted empty, to have a row to lock)."""
        key = _storable(self.conn, {"owner": owner.key, "question_id": question_id})
        empty = {**key, "question_hash": "", "state": "", "due": "", "updated_at": ""}
        self.conn.execute(_insert_or_keep(self.conn.dialect.name, reviews), empty)
        row = self.conn.execute(_REVIEW_STATE, {"b_owner": key["owner"], "b_question": key["question_id"]}).one()
        return ReviewState.model_validate_json(row.state) if row.question_hash == digest else None

    def put_review_state(self, owner: Owner, state: ReviewState, digest: str, when: datetime) -> None:
        row = {
            "owner": owner.key,
            "question_id": state.question_id,
            "question_hash": digest,
            "state": state.model_dump_json(),
            "due": _iso(state.due),
            "updated_at": _iso(when),
        }
        _upsert(self.conn, reviews, row, ("owner", "question_id"))


def _grade_row(key: dict[str, Any], turn: TurnRecord) -> dict[str, Any]:
    g = turn.grade
    assert g is not None
    grader = GraderId.parse(g.grader)
    model = None if grader.is_offline else grader.detail
    return {**key, "grader": g.grader, "model": model, "overall": g.overall, "grade": g.model_dump_json()}


def _upsert(conn: Connection, table: Table, row: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert the row, or update the one its keys name (both dialects have ON CONFLICT)."""
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(row), keys), _storable(conn, row))


# The statements are built once per table and shape and given each row's values when run: built per write, the
# upsert's `excluded` alias copied every column of the table each time (a third of a history write's CPU).
@cache
def _upsert_statement(dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> Insert:
    statement = _dialect_insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: statement.excluded[c] for c in columns if c not in keys}
    )


@cache
def _insert_or_keep(dialect: str, table: Table) -> Insert:
    """Insert a row unless its key is taken."""
    return _dialect_insert(dialect, table).on_conflict_do_nothing()


def _dialect_insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The database's own INSERT, which can say what to do on a key conflict (both dialects have ON CONFLICT)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _storable(conn: Connection, value: Any) -> Any:
    """A value (a row's too) as the database can hold it: PostgreSQL's text refuses NUL, which becomes U+FFFD
    there (SQLite keeps a reply byte for byte)."""
    if conn.dialect.name != "postgresql":
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _storable(conn, v) for k, v in value.items()}
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
