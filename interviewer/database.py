"""Connecting to the history's database: SQLite in the data folder by default, or the PostgreSQL that
INTERVIEWER_DATABASE_URL names (several app replicas share one).

SQLite keeps its old guarantees: WAL, and a write transaction that takes the write lock up front
(`BEGIN IMMEDIATE`) so concurrent writers queue instead of deadlocking; reads take none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError

from .errors import HistoryUnavailable

WRITE = "interviewer_write"
"""The execution option that marks a connection's next transaction as a write (see `writing`)."""


def sqlite_url(path: object) -> URL:
    return URL.create("sqlite", database=str(path))


def shown(url: URL | str) -> str:
    """The URL fit to show: its password is masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a database URL that cannot be read)"


def connect(url: URL | str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise HistoryUnavailable(f"INTERVIEWER_DATABASE_URL is not a database URL: {shown(url)}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed)
    if parsed.get_backend_name() != "postgresql":
        raise HistoryUnavailable(f"{shown(parsed)}: the history needs SQLite or PostgreSQL")
    try:
        # A pooled connection is checked before use, so a database that restarted costs one event, not the pool.
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=8, max_overflow=16, connect_args={"connect_timeout": 10}
        )
    except ImportError as exc:  # e.g. postgresql+psycopg2:// without psycopg2: psycopg (3) is the one installed
        raise HistoryUnavailable(f"{shown(parsed)}: use postgresql+psycopg:// ({exc})") from exc


def _sqlite(url: URL) -> Engine:
    # Up to 64 connections, as many as the web app's events at once (INTERVIEWER_CONCURRENCY's default): a SQLite
    # connection is cheap, and a writer waiting for the lock should not also wait for a connection.
    engine = create_engine(url, pool_size=8, max_overflow=56, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver begins nothing itself: `_on_begin` does
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA busy_timeout = 30000")
        # In WAL mode NORMAL keeps every commit through an application crash or kill (only an OS crash or
        # power loss can drop the last commits) and spares an fsync per saved event.
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def writing(conn: Connection) -> Connection:
    """The connection, its next transaction a write: on SQLite the write lock is taken when it begins."""
    return conn.execution_options(**{WRITE: True})
