"""History in a database: persistence only, SQL to and from models.

SQLite (`history.sqlite3` in INTERVIEWER_DATA_DIR) by default, or the PostgreSQL that INTERVIEWER_DATABASE_URL
names, through SQLAlchemy Core (`database.py`); the schema is Alembic's (`migrations/`). Every write is one
transaction (`Store.transaction()`), so an event is saved whole or not at all. API keys are never stored.
What to save when, and the spaced-review update, are decided by `recorder.py`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.util import CommandError
from sqlalchemy import URL, ColumnElement, Connection, Table, and_, delete, distinct, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from . import migrations
from .bank import Question
from .config import Settings, StorageSettings, data_folder, load_settings
from .database import connect, shown, sqlite_url, writing
from .errors import HistoryUnavailable, InterviewerError
from .grading.models import Grade, Hint
from .owner import AllOwners, Owner, Scope
from .review import ReviewState
from .rows import ProgressPoint, QuestionStat, SessionRow
from .schema import followups, grades, hints, reviews, sessions, turns
from .tokens import Usage
from .transcript import Summary, Transcript, TurnRecord
from .writes import Transaction

DB_NAME = "history.sqlite3"
log = logging.getLogger(__name__)


def default_data_dir(settings: Settings | StorageSettings | None = None) -> Path:
    return data_folder(settings)


class Store:
    """The history at `url`, or by default in `folder`'s SQLite file (the folder also holds the web app's
    browser secret, whichever database holds the history)."""

    def __init__(self, folder: Path | str, *, url: URL | str | None = None, timeout: float = 15.0) -> None:
        self.folder = Path(folder)
        self.path: Path | None = None if url else self.folder / DB_NAME
        self.where = str(self.path) if self.path else shown(url or "")
        """The database named for people: its file, or its URL without the password."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.engine = connect(url or sqlite_url(self.path), timeout)
            with self.engine.connect() as conn, writing(conn).begin():
                self.upgraded_from = migrations.upgrade(conn, self.where)
                """The schema revision the database had when opened (None: it was new)."""
        except (OSError, SQLAlchemyError, CommandError) as exc:  # a file in the way, read-only, no server...
            raise HistoryUnavailable(f"cannot use the history at {self.where} ({_reason(exc)})") from exc

    @classmethod
    def open(cls, settings: StorageSettings | None = None) -> Store:
        settings = settings or load_settings().storage
        url = settings.database_url.get_secret_value() if settings.database_url else None
        return cls(default_data_dir(settings), url=url or None, timeout=settings.database_timeout)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction; on SQLite it takes the write lock up front, so concurrent writers queue
        instead of deadlocking."""
        try:
            conn = writing(self.engine.connect())
        except SQLAlchemyError as exc:
            raise self._unavailable("write", exc) from exc
        try:
            conn.begin()
            yield Transaction(conn)
            conn.commit()
        except SQLAlchemyError as exc:  # a full disk, a database gone away: nothing of this event was written
            raise self._unavailable("write", exc) from exc
        finally:
            _close(conn)  # rolls back whatever was not committed, and gives the connection back to the pool

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise self._unavailable("read", exc) from exc

    def _unavailable(self, verb: str, exc: BaseException) -> HistoryUnavailable:
        """The error a failed read or write becomes. A shared database's address and the driver's words (host,
        port, user) go to the host's log only: candidates see these messages."""
        log.warning("cannot %s the history at %s: %s", verb, self.where, _reason(exc))
        if self.path is None:
            return HistoryUnavailable(f"cannot {verb} the history database right now")
        return HistoryUnavailable(f"cannot {verb} the history at {self.where} ({_reason(exc)})")

    @property
    def revision(self) -> str | None:
        """The schema's Alembic revision."""
        with self._reading() as conn:
            return migrations.current(conn)

    # -- reading ---------------------------------------------------------------------------------

    def resolve(self, session_id: str, scope: Scope) -> str:
        """A full session id from an id or a unique prefix of one, among the scope's sessions."""
        if not session_id.strip():
            raise InterviewerError("give a session id (or the start of one)")
        if "\x00" in session_id:  # no id has one, and PostgreSQL's text cannot even compare with it
            raise InterviewerError(f"no session {session_id!r} in the history")
        # A plain prefix: % and _ in what was typed are characters, not LIKE wildcards.
        query = select(sessions.c.id).where(sessions.c.id.startswith(session_id, autoescape=True), *_of(scope))
        with self._reading() as conn:
            ids = conn.scalars(query).all()
        if not ids:
            raise InterviewerError(f"no session {session_id!r} in the history")
        if len(ids) > 1:
            raise InterviewerError(f"{session_id!r} matches {len(ids)} sessions: give more of the id")
        return ids[0]

    def sessions(self, scope: Scope) -> list[SessionRow]:
        """The scope's sessions, newest first."""
        answered = (
            select(func.count(distinct(turns.c.question_id)))
            .where(turns.c.session_id == sessions.c.id, or_(turns.c.answer.is_not(None), turns.c.skipped != 0))
            .scalar_subquery()
        )
        query = (
            select(sessions, answered.label("answered"))
            .where(*_of(scope))
            .order_by(sessions.c.started_at.desc(), sessions.c.id)
        )
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
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
        with self._reading() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
            if row is None:
                raise InterviewerError(f"no session {session_id!r} in the history")
            turn_records = _turns(conn, session_id)
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
            turns=turn_records,
            summary=Summary.model_validate_json(row["summary"]) if row["summary"] else None,
            usage=usage,
            regrade_of=row["regrade_of"],
        )

    def _session_value(self, session_id: str, column: str) -> Any:
        with self._reading() as conn:
            row = conn.execute(select(sessions.c[column]).where(sessions.c.id == session_id)).first()
        if row is None:
            raise InterviewerError(f"no session {session_id!r} in the history")
        return row[0]

    def owner_of(self, session_id: str) -> Owner:
        return Owner(self._session_value(session_id, "owner") or "")

    def questions(self, session_id: str) -> list[Question]:
        """The questions a session planned (asked or not yet asked)."""
        return [Question.model_validate(q) for q in json.loads(self._session_value(session_id, "questions"))]

    def review_states(self, owner: Owner) -> dict[str, ReviewState]:
        """Spaced-review state per question of one owner."""
        with self._reading() as conn:
            query = select(reviews.c.state).where(reviews.c.owner == owner.key, reviews.c.state != "")
            found = conn.scalars(query).all()
        states = [ReviewState.model_validate_json(state) for state in found]
        return {s.question_id: s for s in states}

    def question_stats(self, scope: Scope) -> list[QuestionStat]:
        joined = turns.join(sessions, sessions.c.id == turns.c.session_id).outerjoin(
            grades, and_(grades.c.session_id == turns.c.session_id, grades.c.idx == turns.c.idx)
        )
        query = (
            select(turns.c.question_id, turns.c.question, grades.c.overall)
            .select_from(joined)
            # a re-grade grades the same answers again: not more attempts
            .where(or_(grades.c.overall.is_not(None), turns.c.skipped != 0), sessions.c.regrade_of.is_(None))
            .where(*_of(scope))
            .order_by(turns.c.answered_at.asc().nulls_first())
        )
        by_question: dict[str, list[tuple[str, float]]] = {}
        with self._reading() as conn:
            for qid, question, overall in conn.execute(query):
                by_question.setdefault(qid, []).append((question, overall or 0.0))
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
        query = (
            select(sessions.c.id, sessions.c.started_at, sessions.c.overall, sessions.c.summary, sessions.c.grader)
            .where(sessions.c.overall.is_not(None), sessions.c.regrade_of.is_(None), *_of(scope))
            .order_by(sessions.c.started_at)
        )
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
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
        with self.transaction() as tx:
            n = tx.conn.execute(delete(sessions).where(*_of(scope, sessions))).rowcount
            tx.conn.execute(delete(reviews).where(*_of(scope, reviews)))
        return n


def _turns(conn: Connection, session_id: str) -> list[TurnRecord]:
    """A session's turns with their follow-ups, hints and grades: one query per table."""

    def by_turn(table: Table, *columns: Any) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        query = select(table.c.idx, *columns).where(table.c.session_id == session_id).order_by(*table.primary_key)
        for idx, *values in conn.execute(query):
            found.setdefault(idx, []).append(values)
        return found

    asked_followups = by_turn(followups, followups.c.question, followups.c.answer)
    given_hints = by_turn(hints, hints.c.hint, hints.c.level, hints.c.cost, hints.c.point)
    given_grades = by_turn(grades, grades.c.grade)
    query = select(turns).where(turns.c.session_id == session_id).order_by(turns.c.idx)
    return [
        TurnRecord(
            question_id=t["question_id"],
            question=t["question"],
            reference=t["reference"],
            kind=t["kind"],
            attempt=t["attempt"],
            answer=t["answer"],
            draft=t["draft"],
            followups=[{"question": q, "answer": a} for q, a in asked_followups.get(t["idx"], [])],
            hints=[
                Hint(level=level, text=text, cost=cost, point=point)
                for text, level, cost, point in given_hints.get(t["idx"], [])
            ],
            skipped=bool(t["skipped"]),
            grade=Grade.model_validate_json(given_grades[t["idx"]][0][0]) if t["idx"] in given_grades else None,
            asked_at=t["asked_at"],
            answered_at=t["answered_at"],
        )
        for t in conn.execute(query).mappings()
    ]


def _of(scope: Scope, table: Table = sessions) -> list[ColumnElement[bool]]:
    """The condition that keeps a scope's rows of a table with an owner column (none: every owner's)."""
    return [] if isinstance(scope, AllOwners) else [table.c.owner == scope.key]


def _reason(exc: BaseException) -> str:
    """The database's own words, without SQLAlchemy's statement dump and link."""
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split()) or type(original).__name__


def _close(conn: Connection) -> None:
    try:
        conn.close()
    except SQLAlchemyError:  # the connection is already gone (a server that went away): nothing to undo
        pass
