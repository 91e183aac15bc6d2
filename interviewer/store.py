"""History in SQLite: persistence only, SQL to and from models.

One file, `history.sqlite3`, in INTERVIEWER_DATA_DIR (default: the platform's user data folder).
WAL mode; the schema's migrations are in `migrations.py`; every write is one `BEGIN IMMEDIATE`
transaction (`Store.transaction()`), so an event is saved whole or not at all and concurrent
writers wait for each other instead of failing with "database is locked". API keys are never stored.
What to save when, and the spaced-review update, are decided by `recorder.py`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from .bank import Question
from .config import Settings, load_settings
from .errors import HistoryUnavailable, InterviewerError
from .grading.models import Grade, Hint
from .migrations import migrate
from .owner import AllOwners, Owner, Scope
from .review import ReviewState
from .rows import ProgressPoint, QuestionStat, SessionRow
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord
from .writes import Transaction

DB_NAME = "history.sqlite3"


def default_data_dir(settings: Settings | None = None) -> Path:
    settings = settings or load_settings()
    return Path(settings.data_dir) if settings.data_dir else Path(platformdirs.user_data_dir("interviewer"))


class Store:
    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        self._local = threading.local()  # one connection per thread, reused: connecting costs more than a write
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                migrate(conn, self.path)
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as exc:  # a file in the way, no permission, read-only, not a database...
            raise HistoryUnavailable(f"cannot use the history at {self.path} ({exc})") from exc

    @classmethod
    def open(cls, settings: Settings | None = None) -> Store:
        return cls(default_data_dir(settings))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        # In WAL mode NORMAL keeps every commit through an application crash or kill (only an OS crash or
        # power loss can drop the last commits) and spares an fsync per saved event.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction, taken up front so concurrent writers queue instead of deadlocking."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"cannot write the history at {self.path} ({exc})") from exc
        try:
            yield Transaction(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:  # e.g. "database or disk is full": nothing of this event was written
            _rollback(conn)
            raise HistoryUnavailable(f"cannot write the history at {self.path} ({exc})") from exc
        except BaseException:
            _rollback(conn)
            raise

    @property
    def version(self) -> int:
        return self._connection().execute("PRAGMA user_version").fetchone()[0]

    # -- reading ---------------------------------------------------------------------------------

    def resolve(self, session_id: str, scope: Scope) -> str:
        """A full session id from an id or a unique prefix of one, among the scope's sessions."""
        if not session_id.strip():
            raise InterviewerError("give a session id (or the start of one)")
        clause, args = _scope(scope)
        # A plain prefix comparison: % and _ in what was typed are characters, not LIKE wildcards.
        rows = (
            self._connection()
            .execute(
                f"SELECT id FROM sessions WHERE substr(id, 1, ?) = ? {clause}", (len(session_id), session_id, *args)
            )  # fmt: skip
            .fetchall()
        )
        if not rows:
            raise InterviewerError(f"no session {session_id!r} in the history")
        if len(rows) > 1:
            raise InterviewerError(f"{session_id!r} matches {len(rows)} sessions: give more of the id")
        return rows[0]["id"]

    def sessions(self, scope: Scope) -> list[SessionRow]:
        """The scope's sessions, newest first."""
        clause, args = _scope(scope)
        rows = (
            self._connection()
            .execute(
                "SELECT s.*, (SELECT COUNT(DISTINCT t.question_id) FROM turns t WHERE t.session_id = s.id"
                f" AND (t.answer IS NOT NULL OR t.skipped)) AS answered FROM sessions s WHERE 1=1 {clause}"
                " ORDER BY started_at DESC",
                args,
            )
            .fetchall()
        )
        return [
            SessionRow(
                id=r["id"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                banks=json.loads(r["settings"]).get("banks", []),
                total=r["total"],
                answered=r["answered"],
                overall=r["overall"],
                grader=r["grader"],
                regrade_of=r["regrade_of"],
            )
            for r in rows
        ]

    def transcript(self, session_id: str) -> Transcript:
        conn = self._connection()
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise InterviewerError(f"no session {session_id!r} in the history")
        usage = Usage(
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            estimated_cost_usd=row["cost_usd"],
        )
        return Transcript(
            session_id=session_id,
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            settings=json.loads(row["settings"]),
            grader=row["grader"],
            turns=self._turns(conn, session_id),
            summary=Summary.model_validate_json(row["summary"]) if row["summary"] else None,
            usage=usage,
            regrade_of=row["regrade_of"],
        )

    def owner_of(self, session_id: str) -> Owner:
        row = self._connection().execute("SELECT owner FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise InterviewerError(f"no session {session_id!r} in the history")
        return Owner(row["owner"] or "")

    def questions(self, session_id: str) -> list[Question]:
        """The questions a session planned (asked or not yet asked)."""
        row = self._connection().execute("SELECT questions FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise InterviewerError(f"no session {session_id!r} in the history")
        return [Question.model_validate(q) for q in json.loads(row["questions"])]

    def _turns(self, conn: sqlite3.Connection, session_id: str) -> list[TurnRecord]:
        turns = []
        for t in conn.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)):
            key = (session_id, t["idx"])
            followups = conn.execute(
                "SELECT question, answer FROM followups WHERE session_id = ? AND idx = ? ORDER BY n", key
            ).fetchall()
            hints = conn.execute(
                "SELECT hint, level, cost, point FROM hints WHERE session_id = ? AND idx = ? ORDER BY n", key
            ).fetchall()
            grade = conn.execute("SELECT grade FROM grades WHERE session_id = ? AND idx = ?", key).fetchone()
            turns.append(
                TurnRecord(
                    question_id=t["question_id"],
                    question=t["question"],
                    reference=t["reference"],
                    kind=t["kind"],
                    attempt=t["attempt"],
                    answer=t["answer"],
                    followups=[{"question": f["question"], "answer": f["answer"]} for f in followups],
                    hints=[Hint(level=h["level"], text=h["hint"], cost=h["cost"], point=h["point"]) for h in hints],
                    skipped=bool(t["skipped"]),
                    grade=Grade.model_validate_json(grade["grade"]) if grade else None,
                    asked_at=t["asked_at"],
                    answered_at=t["answered_at"],
                )
            )
        return turns

    def review_states(self, owner: Owner) -> dict[str, ReviewState]:
        """Spaced-review state per question of one owner."""
        rows = self._connection().execute("SELECT state FROM reviews WHERE owner = ?", (owner.key,)).fetchall()
        states = [ReviewState.model_validate_json(r["state"]) for r in rows]
        return {s.question_id: s for s in states}

    def question_stats(self, scope: Scope) -> list[QuestionStat]:
        clause, args = _scope(scope, "s.")
        rows = (
            self._connection()
            .execute(
                "SELECT t.question_id, t.question, g.overall, t.skipped FROM turns t JOIN sessions s ON s.id ="
                " t.session_id LEFT JOIN grades g ON g.session_id = t.session_id AND g.idx = t.idx"
                # a re-grade grades the same answers again: not more attempts
                f" WHERE (g.overall IS NOT NULL OR t.skipped) AND s.regrade_of IS NULL {clause} ORDER BY t.answered_at",
                args,
            )
            .fetchall()
        )
        by_question: dict[str, list[tuple[str, float]]] = {}
        for r in rows:
            by_question.setdefault(r["question_id"], []).append((r["question"], r["overall"] or 0.0))
        stats = []
        for qid, attempts in by_question.items():
            scores = [s for _, s in attempts]
            stats.append(
                QuestionStat(
                    question_id=qid,
                    question=attempts[-1][0],
                    attempts=len(scores),
                    last_score=scores[-1],
                    best_score=max(scores),
                    trend=round(scores[-1] - scores[-2], 1) if len(scores) > 1 else None,
                )
            )
        return sorted(stats, key=lambda s: s.last_score or 0)

    def progress(self, scope: Scope) -> list[ProgressPoint]:
        """Overall and per-criterion averages of each session with a score, oldest first."""
        clause, args = _scope(scope)
        rows = (
            self._connection()
            .execute(
                "SELECT id, started_at, overall, summary, grader FROM sessions"
                f" WHERE overall IS NOT NULL AND regrade_of IS NULL {clause}"
                " ORDER BY started_at",
                args,
            )
            .fetchall()
        )
        return [
            ProgressPoint(
                session_id=r["id"],
                started_at=r["started_at"],
                overall=r["overall"],
                grader=r["grader"],
                criteria=json.loads(r["summary"]).get("criteria", {}) if r["summary"] else {},
            )
            for r in rows
        ]

    # -- deleting --------------------------------------------------------------------------------

    def delete(self, session_id: str) -> None:
        with self.transaction() as tx:
            tx.delete_session(session_id)

    def delete_all(self, scope: Scope) -> int:
        """Delete every session and review state of the scope."""
        clause, args = _scope(scope)
        with self.transaction() as tx:
            n = tx.conn.execute(f"DELETE FROM sessions WHERE 1=1 {clause}", args).rowcount
            tx.conn.execute(f"DELETE FROM reviews WHERE 1=1 {clause}", args)
        return n


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:  # the transaction is already gone (SQLite may roll back by itself on a full disk)
            pass


def _scope(scope: Scope, prefix: str = "") -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its argument) that keeps a scope's rows."""
    if isinstance(scope, AllOwners):
        return "", ()
    return f"AND {prefix}owner = ?", (scope.key,)
