"""Review state per owner (each browser or user, and '' for the command line), so one person's scores never
order another's questions and "delete my history" takes its reviews too. The reviews made so far were the
command line's."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "reviews_by_owner",
        sa.Column("owner", sa.Text, primary_key=True, server_default=""),
        sa.Column("question_id", sa.Text, primary_key=True),
        sa.Column("question_hash", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("due", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.execute(
        "INSERT INTO reviews_by_owner (owner, question_id, question_hash, state, due, updated_at)"
        " SELECT '', question_id, question_hash, state, due, updated_at FROM reviews"
    )
    op.drop_table("reviews")
    op.rename_table("reviews_by_owner", "reviews")
