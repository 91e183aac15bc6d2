"""The terminal's sessions are owner '' like its reviews (they were NULL), so every read names its owner."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("UPDATE sessions SET owner = '' WHERE owner IS NULL")
    op.create_index("sessions_by_owner", "sessions", ["owner", "started_at"])
