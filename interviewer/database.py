"""Connecting to the history's database: SQLite in the data folder by default, or the PostgreSQL that
INTERVIEWER_DATABASE_URL names (several app replicas share one).

SQLite keeps its old guarantees: WAL, and a write transaction that takes the write lock up front
(`BEGIN IMMEDIATE`) so concurrent writers queue instead of deadlocking; reads take none.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError

from .errors import HistoryUnavailable

WRITE = "interviewer_write"
"""The execution option that marks a connection's next transaction as a write (see `writing`)."""


def sqlite_url(path: object) -> URL:
    return URL.create("sqlite", database=str(path))


MASK = "***"
_SCHEME = re.compile(r"^([A-Za-z][\w+.-]*://)(.*)$", re.DOTALL)
_PARAMETER = re.compile(r"(^|[?&;\s])([^=?&;\s]+)(\s*=\s*)('[^']*'|[^&;\s]*)")


def shown(url: URL | str) -> str:
    """A database URL fit to show (every message and log line that names the database goes through here): its
    password masked whatever form it takes. In the user info, up to the last `@` (an `@` left unescaped in the
    password is the password's); in a parameter (`?password=`, `sslpassword=`, percent-encoded names too).
    Read as text, so a URL that does not parse is masked all the same; more may be masked than the password
    (when a parameter holds an `@`), never less. Text that is no URL at all (it could be a password pasted alone)
    is not shown."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    if not (m := _SCHEME.match(text)):
        return "(a database URL that cannot be read)"
    scheme, rest = m.groups()
    at = rest.rfind("@")
    user, colon, _ = rest[:at].partition(":")
    if at >= 0 and colon and "/" not in user:  # as SQLAlchemy reads it: a user name holds no ":" or "/"
        rest = f"{user}:{MASK}{rest[at:]}"
    return scheme + _PARAMETER.sub(_masked_parameter, rest)


def _masked_parameter(m: re.Match[str]) -> str:
    lead, name, equals, value = m.groups()
    secret = "pass" in unquote(name).lower()  # password, passwd, sslpassword, pass%77ord
    return f"{lead}{name}{equals}{MASK if secret and value else value}"


def connect(url: URL | str, timeout: float = 15.0) -> Engine:
    """An engine whose waits are bounded by `timeout` seconds: to connect, for a lock and (PostgreSQL) for one
    statement. A database that hangs then fails an operation, which the history reports as not saved."""
    try:
        parsed = make_url(url)
    except ValueError as exc:  # SQLAlchemy's int() of a port: "postgresql://h:abc/db"
        raise HistoryUnavailable(f"INTERVIEWER_DATABASE_URL: its port is not a number: {shown(url)}") from exc
    except ArgumentError as exc:
        raise HistoryUnavailable(f"INTERVIEWER_DATABASE_URL is not a database URL: {shown(url)}") from exc
    if parsed.host and "@" in parsed.host:  # "user:p@ss@host": SQLAlchemy ends the password at the first @
        raise HistoryUnavailable(
            f"INTERVIEWER_DATABASE_URL: the password holds an @, which must be written %40: {shown(url)}"
        )
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed, timeout)
    if parsed.get_backend_name() != "postgresql":
        raise HistoryUnavailable(f"{shown(parsed)}: the history needs SQLite or PostgreSQL")
    try:
        # A pooled connection is checked before use, so a database that restarted costs one event, not the pool.
        waits = f"-c statement_timeout={int(timeout * 1000)} -c lock_timeout={int(timeout * 1000)}"
        connect_args = {"connect_timeout": max(1, round(timeout)), "options": waits}
        return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=16, connect_args=connect_args)
    except ImportError as exc:  # e.g. postgresql+psycopg2:// without psycopg2: psycopg (3) is the one installed
        raise HistoryUnavailable(f"{shown(parsed)}: use postgresql+psycopg:// ({exc})") from exc


def _sqlite(url: URL, timeout: float) -> Engine:
    # Up to 64 connections, as many as the web app's events at once (INTERVIEWER_CONCURRENCY's default): a SQLite
    # connection is cheap, and a writer waiting for the lock should not also wait for a connection.
    args = {"timeout": timeout, "check_same_thread": False}
    engine = create_engine(url, pool_size=8, max_overflow=56, connect_args=args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver begins nothing itself: `_on_begin` does
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
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
