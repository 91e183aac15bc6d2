"""Drafts: what the candidate typed but did not send, autosaved and kept when an interview ends or is left."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("turns", sa.Column("draft", sa.Text))
