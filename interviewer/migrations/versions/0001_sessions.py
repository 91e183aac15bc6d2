"""Sessions and their turns, follow-ups, hints and grades (schema 1 of the app's first store)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _of_turn(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("session_id", sa.Text, primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        *columns,
        sa.ForeignKeyConstraint(["session_id", "idx"], ["turns.session_id", "turns.idx"], ondelete="CASCADE"),
    )


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("grader", sa.Text, nullable=False),
        sa.Column("questions", sa.Text, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("overall", sa.Float),
        sa.Column("summary", sa.Text),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cost_usd", sa.Float),
    )
    op.create_table(
        "turns",
        sa.Column("session_id", sa.Text, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("question_id", sa.Text, nullable=False),
        sa.Column("question_hash", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("asked_at", sa.Text),
        sa.Column("answered_at", sa.Text),
    )
    _of_turn(
        "followups",
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
    )
    _of_turn("hints", sa.Column("n", sa.Integer, primary_key=True), sa.Column("hint", sa.Text, nullable=False))
    _of_turn(
        "grades",
        sa.Column("grader", sa.Text, nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("overall", sa.Float, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
    )
