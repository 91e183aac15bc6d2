"""The history's tables as SQLAlchemy Core sees them: the store's queries are built from these.

The tables are created and changed only by the Alembic revisions in `migrations/versions/`; these
definitions mirror the newest one (a test compares them with the database those revisions build).
Times are ISO 8601 text, and settings, questions, grades, summaries and review states are JSON text,
so one schema reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKeyConstraint, Index, Integer, MetaData, Table, Text

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("settings", Text, nullable=False),
    Column("grader", Text, nullable=False),
    Column("questions", Text, nullable=False),
    Column("total", Integer, nullable=False),
    Column("overall", Float),
    Column("summary", Text),
    Column("prompt_tokens", Integer, nullable=False, server_default="0"),
    Column("completion_tokens", Integer, nullable=False, server_default="0"),
    Column("cost_usd", Float),
    Column("regrade_of", Text),
    Index("sessions_by_owner", "owner", "started_at"),
)

turns = Table(
    "turns",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("question_id", Text, nullable=False),
    Column("question_hash", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("answer", Text),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("asked_at", Text),
    Column("answered_at", Text),
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("draft", Text),
    ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
    Index("turns_by_question", "question_id"),
)


def _of_turn(name: str, *columns: Column) -> Table:
    """A table of rows that belong to one turn and go with it."""
    return Table(
        name,
        metadata,
        Column("session_id", Text, primary_key=True),
        Column("idx", Integer, primary_key=True),
        *columns,
        ForeignKeyConstraint(["session_id", "idx"], ["turns.session_id", "turns.idx"], ondelete="CASCADE"),
    )


followups = _of_turn(
    "followups",
    Column("n", Integer, primary_key=True),
    Column("question", Text, nullable=False),
    Column("answer", Text),
)
hints = _of_turn(
    "hints",
    Column("n", Integer, primary_key=True),
    Column("hint", Text, nullable=False),
    Column("level", Integer, nullable=False, server_default="3"),
    Column("cost", Float, nullable=False, server_default="0"),
    Column("point", Text),
)
grades = _of_turn(
    "grades",
    Column("grader", Text, nullable=False),
    Column("model", Text),
    Column("overall", Float, nullable=False),
    Column("grade", Text, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("owner", Text, primary_key=True, server_default=""),
    Column("question_id", Text, primary_key=True),
    Column("question_hash", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("due", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)
