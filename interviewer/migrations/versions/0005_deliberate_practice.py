"""Deliberate practice.

- The hint ladder: each hint's level (1 nudge, 2 concept, 3 partial answer), its cost and the point it aims
  at. The hints saved before were key points revealed in full, for free.
- Attempts: a retried question is a further turn with the same question and attempt 2, 3, ...
- Re-grades: a session graded again by another grader names the one it re-grades.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("turns", sa.Column("attempt", sa.Integer, nullable=False, server_default="1"))
    op.add_column("sessions", sa.Column("regrade_of", sa.Text))
    op.add_column("hints", sa.Column("level", sa.Integer, nullable=False, server_default="3"))
    op.add_column("hints", sa.Column("cost", sa.Float, nullable=False, server_default="0"))
    op.add_column("hints", sa.Column("point", sa.Text))
    op.execute("UPDATE hints SET point = hint")
