"""History in SQLite: every session event saved as it happens, resume, progress, spaced-review state.

One file, `history.sqlite3`, in INTERVIEWER_DATA_DIR (default: the platform's user data folder).
WAL mode; numbered migrations tracked in `PRAGMA user_version`; every write is one
`BEGIN IMMEDIATE` transaction, so a turn is saved whole or not at all and concurrent writers
wait for each other instead of failing with "database is locked". API keys are never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from pydantic import BaseModel

from .bank import Question, extract_key_points
from .config import Settings, load_settings
from .errors import InterviewerError
from .grading.base import FollowUpWriter, Grader
from .grading.models import Grade
from .review import ReviewState, review
from .session import Session, SessionEvent, SessionSettings
from .transcript import Summary, Transcript, TurnRecord, Usage, summarise

DB_NAME = "history.sqlite3"

# Each entry upgrades the schema by one version. Never edit a released entry: append a new one.
MIGRATIONS: list[str] = [
    # 1: sessions and their turns, follow-ups, hints and grades.
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        owner TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        settings TEXT NOT NULL,
        grader TEXT NOT NULL,
        questions TEXT NOT NULL,
        total INTEGER NOT NULL,
        overall REAL,
        summary TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL
    );
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        question_hash TEXT NOT NULL,
        question TEXT NOT NULL,
        reference TEXT NOT NULL,
        kind TEXT NOT NULL,
        answer TEXT,
        skipped INTEGER NOT NULL DEFAULT 0,
        asked_at TEXT,
        answered_at TEXT,
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE followups (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL,
        question TEXT NOT NULL, answer TEXT,
        PRIMARY KEY (session_id, idx, n),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    CREATE TABLE hints (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL, hint TEXT NOT NULL,
        PRIMARY KEY (session_id, idx, n),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    CREATE TABLE grades (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL,
        grader TEXT NOT NULL, model TEXT, overall REAL NOT NULL, grade TEXT NOT NULL,
        PRIMARY KEY (session_id, idx),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    """,
    # 2: spaced-review state per question, and a lookup of a question's attempts.
    """
    CREATE TABLE reviews (
        question_id TEXT PRIMARY KEY,
        question_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        due TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX turns_by_question ON turns(question_id);
    """,
    # 3: review state per owner (each browser, and '' for the command line), so one user's scores never
    #    order another's questions and "delete my history" takes its reviews too.
    """
    CREATE TABLE reviews_by_owner (
        owner TEXT NOT NULL DEFAULT '',
        question_id TEXT NOT NULL,
        question_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        due TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, question_id)
    );
    INSERT INTO reviews_by_owner SELECT '', question_id, question_hash, state, due, updated_at FROM reviews;
    DROP TABLE reviews;
    ALTER TABLE reviews_by_owner RENAME TO reviews;
    """,
]


class SessionRow(BaseModel):
    id: str
    started_at: datetime
    finished_at: datetime | None
    banks: list[str]
    total: int
    answered: int
    overall: float | None
    grader: str


class QuestionStat(BaseModel):
    question_id: str
    question: str
    attempts: int
    last_score: float | None
    best_score: float | None
    trend: float | None
    """Last score minus the one before it (None with fewer than two graded attempts)."""


class ProgressPoint(BaseModel):
    session_id: str
    started_at: datetime
    overall: float
    criteria: dict[str, float]


def question_hash(question: str, reference: str) -> str:
    """Recognises an edited question: the same id with another text is a new question to review."""
    return hashlib.sha256(f"{question}\n\x00\n{reference}".encode()).hexdigest()[:16]


def default_data_dir(settings: Settings | None = None) -> Path:
    settings = settings or load_settings()
    return Path(settings.data_dir) if settings.data_dir else Path(platformdirs.user_data_dir("interviewer"))


class Store:
    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_NAME
        self._local = threading.local()  # one connection per thread, reused: connecting costs more than a write
        self.migrate()

    @classmethod
    def open(cls, settings: Settings | None = None) -> Store:
        return cls(default_data_dir(settings))

    # -- plumbing --------------------------------------------------------------------------------

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
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so concurrent writers queue instead of deadlocking."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        yield self._connection()

    @property
    def version(self) -> int:
        with self._read() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                conn.execute("ROLLBACK")
                raise InterviewerError(
                    f"{self.path} was written by a newer version (schema {version}); upgrade interviewer"
                )
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        finally:
            conn.close()

    # -- saving ----------------------------------------------------------------------------------

    def hook(self, owner: str | None = None) -> Callable[[SessionEvent], None]:
        """The engine's persistence hook: saves each event as it happens."""

        def save(event: SessionEvent) -> None:
            self.save_event(event, owner)

        return save

    def save_event(self, event: SessionEvent, owner: str | None = None) -> None:
        s = event.session
        with self._write() as conn:
            if event.kind == "started":
                self._insert_session(conn, s.transcript(), owner, s.questions)
                return
            if event.kind == "finished" and not s.turns:  # ended before any answer: nothing worth keeping
                conn.execute("DELETE FROM sessions WHERE id = ?", (s.session_id,))
                return
            if event.turn_index is not None and event.turn_index < len(s.turns):
                turn = s.turns[event.turn_index]
                self._save_turn(conn, s.session_id, event.turn_index, turn)
                if event.kind in ("graded", "skipped"):
                    self._review(conn, turn, owner)
            conn.execute("DELETE FROM turns WHERE session_id = ? AND idx >= ?", (s.session_id, len(s.turns)))
            self._update_session(conn, s.session_id, s.finished_at, summarise(s.turns), s.usage)

    def _insert_session(
        self, conn: sqlite3.Connection, tr: Transcript, owner: str | None, questions: list[Question]
    ) -> None:
        conn.execute(
            "INSERT INTO sessions (id, owner, started_at, settings, grader, questions, total) VALUES (?,?,?,?,?,?,?)",
            (
                tr.session_id,
                owner,
                _iso(tr.started_at),
                json.dumps(tr.settings),
                tr.grader,
                json.dumps([q.model_dump() for q in questions]),
                len(questions),
            ),
        )

    def _update_session(
        self, conn: sqlite3.Connection, session_id: str, finished: datetime | None, summary: Summary, usage: Usage
    ) -> None:
        conn.execute(
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

    def _save_turn(self, conn: sqlite3.Connection, session_id: str, idx: int, turn: TurnRecord) -> None:
        conn.execute(
            "INSERT INTO turns (session_id, idx, question_id, question_hash, question, reference, kind, answer,"
            " skipped, asked_at, answered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (session_id, idx) DO UPDATE SET answer = excluded.answer, skipped = excluded.skipped,"
            " asked_at = excluded.asked_at, answered_at = excluded.answered_at",
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
            ),
        )
        key = (session_id, idx)
        conn.execute("DELETE FROM followups WHERE session_id = ? AND idx = ?", key)
        conn.executemany(
            "INSERT INTO followups VALUES (?,?,?,?,?)",
            [(*key, n, f.question, f.answer) for n, f in enumerate(turn.followups)],
        )
        conn.execute("DELETE FROM hints WHERE session_id = ? AND idx = ?", key)
        conn.executemany("INSERT INTO hints VALUES (?,?,?,?)", [(*key, n, h) for n, h in enumerate(turn.hints)])
        conn.execute("DELETE FROM grades WHERE session_id = ? AND idx = ?", key)
        if turn.grade is not None:
            g = turn.grade
            model = g.grader.removeprefix("llm:") if g.grader.startswith("llm:") else None
            conn.execute(
                "INSERT INTO grades VALUES (?,?,?,?,?,?)", (*key, g.grader, model, g.overall, g.model_dump_json())
            )

    def _review(self, conn: sqlite3.Connection, turn: TurnRecord, owner: str | None) -> None:
        when = turn.answered_at or datetime.now(UTC)
        digest = question_hash(turn.question, turn.reference)
        row = conn.execute(
            "SELECT * FROM reviews WHERE owner = ? AND question_id = ?", (owner or "", turn.question_id)
        ).fetchone()
        state = ReviewState.model_validate_json(row["state"]) if row and row["question_hash"] == digest else None
        new = review(state, turn.question_id, None if turn.grade is None else turn.grade.overall, when)
        conn.execute(
            "INSERT INTO reviews VALUES (?,?,?,?,?,?) ON CONFLICT (owner, question_id) DO UPDATE SET"
            " question_hash = excluded.question_hash, state = excluded.state, due = excluded.due,"
            " updated_at = excluded.updated_at",
            (owner or "", turn.question_id, digest, new.model_dump_json(), _iso(new.due), _iso(when)),
        )

    def import_transcript(self, tr: Transcript, owner: str | None = None) -> None:
        """Add a whole transcript (e.g. from another machine) to the history."""
        questions = [_question_of(t) for t in tr.turns]
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (tr.session_id,)).fetchone():
                raise InterviewerError(f"session {tr.session_id} is already in the history")
            self._insert_session(conn, tr, owner, questions)
            for idx, turn in enumerate(tr.turns):
                self._save_turn(conn, tr.session_id, idx, turn)
                if turn.skipped or turn.grade is not None:
                    self._review(conn, turn, owner)
            summary = tr.summary or summarise(tr.turns)
            self._update_session(conn, tr.session_id, tr.finished_at, summary, tr.usage)

    # -- reading ---------------------------------------------------------------------------------

    def resolve(self, session_id: str, owner: str | None = None) -> str:
        """A full session id from an id or a unique prefix of one."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id FROM sessions WHERE id LIKE ? || '%'" + _owner_clause(owner),
                (session_id, *_owner_args(owner)),
            ).fetchall()
        if not rows:
            raise InterviewerError(f"no session {session_id!r} in the history")
        if len(rows) > 1:
            raise InterviewerError(f"{session_id!r} matches {len(rows)} sessions: give more of the id")
        return rows[0]["id"]

    def sessions(self, owner: str | None = None) -> list[SessionRow]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id"
                " AND (t.answer IS NOT NULL OR t.skipped)) AS answered FROM sessions s WHERE 1=1"
                + _owner_clause(owner)
                + " ORDER BY started_at DESC",
                _owner_args(owner),
            ).fetchall()
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
            )
            for r in rows
        ]

    def unfinished(self, owner: str | None = None) -> list[SessionRow]:
        return [s for s in self.sessions(owner) if s.finished_at is None]

    def transcript(self, session_id: str) -> Transcript:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise InterviewerError(f"no session {session_id!r} in the history")
            turns = self._turns(conn, session_id)
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
            turns=turns,
            summary=Summary.model_validate_json(row["summary"]) if row["summary"] else None,
            usage=usage,
        )

    def _turns(self, conn: sqlite3.Connection, session_id: str) -> list[TurnRecord]:
        turns = []
        for t in conn.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)):
            key = (session_id, t["idx"])
            followups = conn.execute(
                "SELECT question, answer FROM followups WHERE session_id = ? AND idx = ? ORDER BY n", key
            ).fetchall()
            hints = conn.execute("SELECT hint FROM hints WHERE session_id = ? AND idx = ? ORDER BY n", key).fetchall()
            grade = conn.execute("SELECT grade FROM grades WHERE session_id = ? AND idx = ?", key).fetchone()
            turns.append(
                TurnRecord(
                    question_id=t["question_id"],
                    question=t["question"],
                    reference=t["reference"],
                    kind=t["kind"],
                    answer=t["answer"],
                    followups=[{"question": f["question"], "answer": f["answer"]} for f in followups],
                    hints=[h["hint"] for h in hints],
                    skipped=bool(t["skipped"]),
                    grade=Grade.model_validate_json(grade["grade"]) if grade else None,
                    asked_at=t["asked_at"],
                    answered_at=t["answered_at"],
                )
            )
        return turns

    def restore(
        self,
        session_id: str,
        grader: Grader,
        followup_writer: FollowUpWriter,
        owner: str | None = None,
    ) -> Session:
        """An unfinished session rebuilt from the history, saving on as before; call `settle()` next."""
        tr = self.transcript(session_id)
        with self._read() as conn:
            row = conn.execute("SELECT questions FROM sessions WHERE id = ?", (session_id,)).fetchone()
        questions = [Question.model_validate(q) for q in json.loads(row["questions"])]
        session = Session(
            questions=questions,
            settings=SessionSettings.model_validate(tr.settings),
            grader=grader,
            followup_writer=followup_writer,
            session_id=tr.session_id,
            started_at=tr.started_at,
            finished_at=tr.finished_at,
            turns=tr.turns or [],
            usage=tr.usage,
        )
        session.on_event = self.hook(owner)
        return session

    def review_states(self, owner: str | None = None) -> dict[str, ReviewState]:
        """Spaced-review state per question of one owner (None: the command line's)."""
        with self._read() as conn:
            rows = conn.execute("SELECT state FROM reviews WHERE owner = ?", (owner or "",)).fetchall()
        states = [ReviewState.model_validate_json(r["state"]) for r in rows]
        return {s.question_id: s for s in states}

    def question_stats(self, owner: str | None = None) -> list[QuestionStat]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.question_id, t.question, g.overall, t.skipped FROM turns t JOIN sessions s ON s.id ="
                " t.session_id LEFT JOIN grades g ON g.session_id = t.session_id AND g.idx = t.idx"
                " WHERE (g.overall IS NOT NULL OR t.skipped)" + _owner_clause(owner, "s.")
                + " ORDER BY t.answered_at",
                _owner_args(owner),
            ).fetchall()
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
        return sorted(stats, key=lambda s: (s.last_score or 0))

    def progress(self, owner: str | None = None) -> list[ProgressPoint]:
        """Overall and per-criterion averages of each session with a score, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, started_at, overall, summary FROM sessions WHERE overall IS NOT NULL"
                + _owner_clause(owner)
                + " ORDER BY started_at",
                _owner_args(owner),
            ).fetchall()
        return [
            ProgressPoint(
                session_id=r["id"],
                started_at=r["started_at"],
                overall=r["overall"],
                criteria=json.loads(r["summary"]).get("criteria", {}) if r["summary"] else {},
            )
            for r in rows
        ]

    # -- deleting --------------------------------------------------------------------------------

    def delete(self, session_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def delete_all(self, owner: str | None = None) -> int:
        """Delete every session and review state of one owner, or with no owner given, of everyone."""
        with self._write() as conn:
            n = conn.execute("DELETE FROM sessions WHERE 1=1" + _owner_clause(owner), _owner_args(owner)).rowcount
            conn.execute("DELETE FROM reviews WHERE 1=1" + _owner_clause(owner), _owner_args(owner))
        return n


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _owner_clause(owner: str | None, prefix: str = "") -> str:
    return f" AND {prefix}owner = ?" if owner is not None else ""


def _owner_args(owner: str | None) -> tuple[str, ...]:
    return (owner,) if owner is not None else ()


def _question_of(turn: TurnRecord) -> Question:
    number = int(turn.question_id.rsplit("#", 1)[-1]) if turn.question_id.rsplit("#", 1)[-1].isdigit() else 0
    return Question(
        id=turn.question_id,
        number=number,
        text=turn.question,
        reference=turn.reference,
        kind=turn.kind,
        key_points=extract_key_points(turn.reference),
        source="(imported transcript)",
        line=0,
    )
