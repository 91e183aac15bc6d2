"""The history's schema, brought up to date by Alembic (the revisions are in `versions/`).

A database the store wrote before Alembic (SQLite, schema numbered in `PRAGMA user_version`, 1 to 5) is
stamped with the revision of its number first, then upgraded in place like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from ..errors import InterviewerError

HERE = Path(__file__).parent
# PRAGMA user_version of the store before Alembic -> the revision that builds the same schema.
BEFORE_ALEMBIC = {1: "0001", 2: "0002", 3: "0003", 4: "0004", 5: "0005"}
MANAGED_BY_ALEMBIC = 6
"""PRAGMA user_version of a SQLite history Alembic manages: above 5, so older versions of the app refuse it."""
# Replicas that start at once on one PostgreSQL take turns at upgrading (pg_advisory_xact_lock's key).
UPGRADE_LOCK = 0x1E71E11


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = conn
    return config


def head() -> str:
    """The newest revision this version of the app knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection, where: str) -> str | None:
    """Bring the database at `where` up to the newest schema, inside the write transaction `conn` holds; refuse
    one written by a newer version of the app. The revision it was at (None: a new database)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    revision = current(conn)
    if revision is None and conn.dialect.name == "sqlite":
        number = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        if number > len(BEFORE_ALEMBIC):  # MANAGED_BY_ALEMBIC without its alembic_version table is refused too
            raise InterviewerError(f"{where} was written by a newer version (schema {number}); upgrade interviewer")
        if number:
            revision = BEFORE_ALEMBIC[number]
            command.stamp(_config(conn), revision)
    elif revision is not None and revision not in known:
        raise InterviewerError(f"{where} was written by a newer version (revision {revision}); upgrade interviewer")
    command.upgrade(_config(conn), "head")
    # An app from before Alembic refuses a schema number above its own five. Written once: a header write
    # would otherwise commit a page to the WAL at every open.
    if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA user_version").scalar_one() != MANAGED_BY_ALEMBIC:
        conn.exec_driver_sql(f"PRAGMA user_version = {MANAGED_BY_ALEMBIC}")
    return revision
