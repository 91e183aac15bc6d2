"""The store on SQLAlchemy and Alembic, over SQLite and PostgreSQL: the schema, upgrades of histories written
before Alembic, every read and write on both databases, race-free review updates from two processes, and a
database that is wrong, down at start, or gone for a while mid-session."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.migrations import head
from interviewer.owner import ALL_OWNERS, Owner
from interviewer.presentation import history_notice
from interviewer.recorder import Recorder
from interviewer.schema import metadata
from interviewer.service import App
from interviewer.session import Session, SessionSettings
from interviewer.store import Store
from interviewer.terminal import practice_loop
from interviewer.transcript import Transcript
from tests.support.cli import run_cli
from tests.support.net import free_port
from tests.support.postgres import Postgres

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT / "tests" / "data" / "legacy"
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
GOOD = (
    "GANs give sharp samples but training is unstable and suffers mode collapse, because the generator and "
    "discriminator play a minimax game. VAEs train stably with a probabilistic latent space, but outputs are "
    "blurrier due to the reconstruction loss. Diffusion models give quality and control at a higher compute cost."
)


def store_at(tmp_path: Path, url: str | None) -> Store:
    return Store(tmp_path / "data", url=url)


def test_the_tables_alembic_builds_are_the_tables_the_store_queries(tmp_path, database_url):
    store = store_at(tmp_path, database_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert store.revision == head()


@pytest.mark.parametrize("schema", [3, 5])
def test_a_history_written_before_alembic_upgrades_in_place_with_nothing_lost(tmp_path, schema):
    """The files were written by commits 843619f (schema 3) and e12abde (schema 5); `expected/` is what
    e12abde's store read from them (tests/data/legacy/README.md)."""
    shutil.copy(LEGACY / f"schema{schema}.sqlite3", tmp_path / "history.sqlite3")
    store = Store(tmp_path)
    assert store.revision == head()
    rows = store.sessions(ALL_OWNERS)
    assert rows and all(store.owner_of(r.id) == Owner.terminal() for r in rows)
    for row in rows:
        expected = (LEGACY / "expected" / f"{row.id}.json").read_text()
        assert store.transcript(row.id).to_json() == expected
    reviews = {k: json.loads(v.model_dump_json()) for k, v in store.review_states(Owner.terminal()).items()}
    assert reviews == json.loads((LEGACY / "expected" / f"reviews-schema{schema}.json").read_text())
    # and it goes on being used: a new session is saved beside the old ones
    s = Session.start([QUESTIONS[0]], SessionSettings(count=1, followups=0), on_event=Recorder(store, Owner.terminal()))
    asyncio.run(s.answer(GOOD))
    assert len(Store(tmp_path).sessions(ALL_OWNERS)) == len(rows) + 1
    with sqlite3.connect(tmp_path / "history.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head()


def test_refuses_a_database_a_newer_version_migrated(tmp_path, database_url):
    store = store_at(tmp_path, database_url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(Exception, match="newer version"):
        store_at(tmp_path, database_url)


def test_every_read_and_write_on_both_databases(tmp_path, database_url):
    store = store_at(tmp_path, database_url)
    me, other = Owner.browser("me"), Owner.browser("someone else")
    s = Session.start(list(QUESTIONS[:3]), SessionSettings(count=3, followups=1), on_event=Recorder(store, me))
    asyncio.run(s.answer(GOOD))
    if s.awaiting_followup:
        asyncio.run(s.answer("The discriminator overpowers the generator, so gradients vanish."))
    s.hint()
    s.hint()
    asyncio.run(s.answer("Tokenization splits text into tokens."))
    s.skip()
    theirs = Session.start([QUESTIONS[4]], SessionSettings(count=1, followups=0), on_event=Recorder(store, other))
    asyncio.run(theirs.answer("A reply with a NUL\x00 and 100% _wild_ characters"))

    assert store.transcript(s.session_id).to_json() == s.transcript().to_json()
    saved = store.transcript(theirs.session_id).turns[0].answer
    assert saved in (
        "A reply with a NUL\x00 and 100% _wild_ characters",
        "A reply with a NUL\ufffd and 100% _wild_ characters",
    )
    assert [r.id for r in store.sessions(me)] == [s.session_id]
    assert store.sessions(me)[0].answered == 3 and store.sessions(me)[0].finished_at is not None
    assert len(store.sessions(ALL_OWNERS)) == 2
    assert store.resolve(s.session_id[:6], me) == s.session_id
    with pytest.raises(Exception, match="no session"):
        store.resolve("%", me)  # a prefix, not a LIKE pattern
    with pytest.raises(Exception, match="no session"):
        store.resolve(theirs.session_id, me)  # another owner's
    stats = store.question_stats(me)
    assert {x.question_id for x in stats} == {q.id for q in QUESTIONS[:3]}
    assert min(stats, key=lambda x: x.last_score or 0).last_score == 0  # the skipped one
    assert [p.session_id for p in store.progress(me)] == [s.session_id]
    assert set(store.review_states(me)) == {q.id for q in QUESTIONS[:3]}
    assert set(store.review_states(other)) == {QUESTIONS[4].id}
    assert store.delete_all(me) == 1
    assert store.sessions(me) == [] and store.review_states(me) == {}
    assert [r.id for r in store.sessions(ALL_OWNERS)] == [theirs.session_id]


RACE = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from interviewer.bank import load_bank
    from interviewer.owner import Owner
    from interviewer.recorder import Recorder
    from interviewer.session import Session, SessionSettings
    from interviewer.store import Store

    folder, url, go, n = sys.argv[1], sys.argv[2] or None, Path(sys.argv[3]), int(sys.argv[4])
    question = load_bank("bank/genai_misc.md").questions[0]
    store = Store(folder, url=url)
    while not go.exists():
        time.sleep(0.01)
    for i in range(n):
        recorder = Recorder(store, Owner.browser("user:amy"))
        s = Session.start([question], SessionSettings(count=1, followups=0), on_event=recorder)
        asyncio.run(s.answer(f"attempt {i}: GANs are unstable, VAEs are blurry, diffusion is slow."))
    """
)


@pytest.mark.slow
def test_two_processes_grading_one_owners_question_at_once_lose_no_review(tmp_path, database_url):
    """Each process records 20 graded first attempts at the same question for the same user: the spaced-review
    state must count all 40 (a read-modify-write without the row lock loses some on PostgreSQL)."""
    store = store_at(tmp_path, database_url)
    go, n = tmp_path / "go", 20
    script = tmp_path / "race.py"
    script.write_text(RACE)
    argv = [sys.executable, str(script), str(tmp_path / "data"), database_url or "", str(go), str(n)]
    workers = [subprocess.Popen(argv, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(1.5)  # both processes are past their imports, waiting for the start
    go.touch()
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    state = store.review_states(Owner.browser("user:amy"))[QUESTIONS[0].id]
    assert state.attempts == 2 * n
    assert len(store.sessions(Owner.browser("user:amy"))) == 2 * n


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "postgresql+psycopg://amy:s3cret@127.0.0.1:{port}/class",
            "postgresql+psycopg://amy:***@127.0.0.1:{port}/class",
        ),
        ("mysql://amy:s3cret@127.0.0.1/class", "needs SQLite or PostgreSQL"),
        ("not a database", "is not a database URL"),
    ],
)
def test_a_wrong_database_url_or_a_server_down_stops_the_command_naming_the_url_but_not_its_password(url, said):
    port = free_port()  # nothing listens there: a server that is down
    env = {"INTERVIEWER_DATABASE_URL": url.format(port=port)}
    for argv in (("history",), ("practice", "-n", "1")):
        result = run_cli(*argv, env=env, stdin="an answer\n\n")
        assert result.code == 1, result
        assert said.format(port=port) in result.err and "s3cret" not in result.err + result.out
        assert "Traceback" not in result.err


@pytest.mark.slow
def test_the_web_app_does_not_start_without_the_database_it_was_given(tmp_path):
    env = {"INTERVIEWER_DATABASE_URL": f"postgresql+psycopg://amy:s3cret@127.0.0.1:{free_port()}/class"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env={**_environ(), **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "postgresql+psycopg://amy:***@127.0.0.1" in done.stderr and "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_history_json_in_one_process_lists_what_another_process_saved(postgres, tmp_path):
    env = {**_environ(), "INTERVIEWER_DATABASE_URL": postgres.create_database("shared_history")}
    practice = subprocess.run(
        [sys.executable, "-m", "interviewer", "practice", "-n", "2", "--followups", "0", "--out", str(tmp_path)],
        input=f"{GOOD}\n\n/skip\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert practice.returncode == 0, practice.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "interviewer", "history", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["answered"] == 2 and row["finished_at"]
    assert not (tmp_path / "data" / "history.sqlite3").exists()  # PostgreSQL, not a file in the data folder


@pytest.mark.slow
@pytest.mark.postgres
def test_the_database_going_away_mid_session_keeps_every_answer_and_tells_once(tmp_path):
    """PostgreSQL stops after the first answer and comes back before the fourth: the second and third answers
    live in the session, the candidate is told once, and the fourth answer's event writes all of them."""
    with Postgres() as server:
        store = Store(tmp_path / "data", url=server.create_database("class"))
        core = App(store, Settings()).scope(Owner.terminal())
        session = core.start(list(QUESTIONS[:4]), SessionSettings(count=4, followups=0, order="in-order"))

        def answers():
            yield f"first: {GOOD}"
            server.stop()
            yield "second: tokens, stems and lemmas."
            yield "third: a neural network learns weights by backpropagation."
            server.start()
            yield "fourth: embeddings place similar meanings close together."
            yield None

        out = io.StringIO()
        with asyncio.Runner() as runner:
            practice_loop(session, answers(), out, runner.run)
        shown = out.getvalue()
        assert shown.count("The history is not being saved") == 1
        assert shown.count(history_notice(None)) == 1
        saved = store.transcript(session.session_id)
        assert [t.answer.split(":")[0] for t in saved.turns] == ["first", "second", "third", "fourth"]
        assert Transcript.from_json(saved.to_json()).turns[3].grade is not None


@pytest.mark.slow
@pytest.mark.postgres
def test_the_web_app_says_the_history_cannot_be_read_while_the_database_is_away(tmp_path):
    from interviewer.web.handlers import Handlers
    from interviewer.web.history_events import HistoryTab
    from interviewer.web.setup import bundled_banks

    with Postgres() as server:
        settings = Settings(data_dir=tmp_path / "data", database_url=server.create_database("class"))
        app = App(Store.open(settings.storage), settings)
        handlers, history_tab = Handlers(app, bundled_banks(settings)), HistoryTab(app, bundled_banks(settings))
        assert history_tab.history(Owner.browser("browser-1")).note is None  # readable: the tab's tables
        server.stop()
        assert "The history cannot be read right now" in (history_tab.history(Owner.browser("browser-1")).note or "")
        assert handlers.on_load(Owner.browser("browser-1"), None).session_id is None  # no resume offer, and no error
        server.start()
        assert history_tab.history(Owner.browser("browser-1")).note is None


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_DATABASE"))}


def test_db_upgrade_brings_the_configured_database_up_to_date(tmp_path, database_url):
    data = tmp_path / "data"
    env = {"INTERVIEWER_DATA_DIR": str(data), "INTERVIEWER_DATABASE_URL": database_url}
    if database_url is None:  # the default SQLite file, here one the app wrote at schema 3
        data.mkdir()
        shutil.copy(LEGACY / "schema3.sqlite3", data / "history.sqlite3")
    first = run_cli("db", "upgrade", env=env)
    assert first.code == 0, first.err
    expected = "upgraded from 0003" if database_url is None else "upgraded from an empty database"
    assert f"schema revision {head()} ({expected})" in first.out
    again = run_cli("db", "upgrade", env=env)
    assert f"schema revision {head()} (already up to date)" in again.out


def test_on_sqlite_a_write_takes_the_lock_when_it_begins_and_a_read_takes_none(tmp_path):
    store = Store(tmp_path)
    other = sqlite3.connect(tmp_path / "history.sqlite3", timeout=0, isolation_level=None)
    with store.transaction():  # nothing written yet: BEGIN IMMEDIATE alone holds the write lock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # a writer elsewhere: reads go on (WAL)
    assert store.sessions(ALL_OWNERS) == [] and store.revision == head()
    other.execute("ROLLBACK")


def test_a_write_that_cannot_begin_gives_its_connection_back(tmp_path):
    """Another process holds the write lock past the busy timeout: each failed write must return its connection
    to the pool at once (a leak would drain the pool under contention)."""
    from sqlalchemy import event

    from interviewer.errors import HistoryUnavailable

    store = Store(tmp_path)
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout = 50"))
    other = sqlite3.connect(tmp_path / "history.sqlite3", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    for _ in range(3):
        with pytest.raises(HistoryUnavailable, match="locked"), store.transaction():
            pass
    assert store.engine.pool.checkedout() == 0
    other.execute("ROLLBACK")


@pytest.mark.slow
@pytest.mark.postgres
def test_a_shared_databases_address_is_never_in_what_candidates_read(tmp_path):
    """Read and write errors reach the page: on a shared database they name neither host, port nor user."""
    from interviewer.errors import HistoryUnavailable

    with Postgres() as server:
        store = Store(tmp_path, url=server.create_database("quiet").replace("postgres@", "postgres:s3cret@"))
        server.stop()
        for action in (lambda: store.sessions(ALL_OWNERS), lambda: store.delete_all(Owner.terminal())):
            with pytest.raises(HistoryUnavailable) as caught:
                action()
            message = str(caught.value)
            assert "right now" in message and "127.0.0.1" not in message and "postgres" not in message


def test_an_upgraded_sqlite_history_is_refused_by_the_versions_before_alembic(tmp_path):
    Store(tmp_path)
    with sqlite3.connect(tmp_path / "history.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] > 5  # e12abde refused anything above its 5
