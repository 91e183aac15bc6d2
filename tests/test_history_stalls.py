"""A database that hangs, or one visitor's heavy start, never stalls the others (issue 25, items 1 and 4).

Two real clients at once: one whose history write is stuck (SQLite locked by another process, PostgreSQL
paused with SIGSTOP) or who starts with a huge upload or a slow resolver, and one whose answer is timed.
The stuck one is told its history is not saved and keeps its answer."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.owner import ALL_OWNERS, Owner
from interviewer.service import App
from interviewer.store import Store
from interviewer.web.handlers import Handlers, StartForm
from interviewer.web.setup import bundled_banks
from tests.support.browser import served
from tests.support.postgres import paused

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
ANSWER = "Bias audits and human oversight, content filters before release, monitoring after it."
NOT_SAVED = "history is not being saved"


def timed_answer(client, text: str = ANSWER) -> tuple[float, str]:
    started = time.monotonic()
    out = client.predict(text, api_name="/answer")
    return time.monotonic() - started, " ".join(str(v) for v in (out if isinstance(out, tuple | list) else [out]))


def two_clients(url: str):
    from gradio_client import Client

    a, b = Client(url, verbose=False), Client(url, verbose=False)
    for client in (a, b):
        client.predict(count=5, followups=False, api_name="/start")
    return a, b


def saved_answers(store: Store, expected: int, within: float = 20.0) -> int:
    """The answers in the history, once the writes still queued have landed (polled, `within` seconds)."""
    deadline = time.monotonic() + within
    while True:
        found = [t.answer for r in store.sessions(ALL_OWNERS) for t in store.transcript(r.id).turns]
        if found.count(ANSWER) >= expected or time.monotonic() > deadline:
            return found.count(ANSWER)
        time.sleep(0.3)


def hold_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    """Another process's long write (a `history import`): SQLite's write lock, held."""
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    conn.rollback()
    conn.close()


@pytest.mark.slow
def test_a_locked_sqlite_history_costs_another_visitor_at_most_the_wait(tmp_path):
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path, history_wait=1.0, database_timeout=5.0)
    with served(settings) as url:
        stuck, other = two_clients(url)
        usual, _ = timed_answer(other)
        held = threading.Event()
        locker = threading.Thread(target=hold_write_lock, args=(tmp_path / "history.sqlite3", 8.0, held))
        locker.start()
        held.wait(10)
        waited, said = timed_answer(stuck)  # its write waits for the lock: it is told, and goes on
        while_stuck, _ = timed_answer(other)
        locker.join()
        assert NOT_SAVED in said and waited < 4.0, (waited, said)
        assert while_stuck < usual + 2.0, (usual, while_stuck)
        time.sleep(6)  # the lock is gone
        _, said_after = timed_answer(stuck)  # a write missed is made up at the session's next event
        timed_answer(other)
    assert saved_answers(Store(tmp_path), 5) == 5  # nothing lost: all five answers of the two clients
    assert NOT_SAVED not in said_after


def test_a_paused_postgresql_costs_another_visitor_at_most_the_wait(tmp_path, postgres):
    database = postgres.create_database("paused")
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path, database_url=database, history_wait=1.0)
    with served(settings) as url:
        stuck, other = two_clients(url)
        usual, _ = timed_answer(other)
        with paused(postgres):
            waited, said = timed_answer(stuck)
            while_paused, _ = timed_answer(other)
        assert NOT_SAVED in said and waited < 4.0, (waited, said)  # told, and the answer is kept
        assert while_paused < usual + 2.0, (usual, while_paused)
        time.sleep(3)
        for client in (stuck, other):  # a write missed is made up at the session's next event
            timed_answer(client)
    assert saved_answers(Store(tmp_path, url=database), 5) == 5  # all five answers, once the server went on


def big_bank(path: Path, questions: int) -> Path:
    text = "# Huge\n\n" + "".join(
        f"## {n}. What is item {n} of the huge bank about?\n\n**Answer:**\nItem {n} is about topic {n}.\n\n"
        for n in range(1, questions + 1)
    )
    path.write_text(text, encoding="utf-8")
    return path


def answer_timed_beside(h: Handlers, heavy_start) -> float:
    """The seconds another visitor's answer takes while `heavy_start` runs on the same event loop."""

    async def both() -> float:
        ws = (await h.start(form(h), Owner.browser("other"), None, "b")).ws
        started = time.monotonic()  # the answer is sent just after the heavy start
        heavy = asyncio.ensure_future(heavy_start())
        await asyncio.sleep(0)  # the heavy start takes the loop first, as if it had come in first
        async for _ in h.answer(ANSWER, ws):
            pass
        took = time.monotonic() - started
        await heavy
        return took

    return asyncio.run(both())


def form(h: Handlers, **changes) -> StartForm:
    fields = dict(banks=[next(iter(h.banks))], count=3, order="in-order", mode="practice", followups=False,
                  base_url="", model="", api_key="", upload=None)  # fmt: skip
    return StartForm(**{**fields, **changes})


def handlers(tmp_path: Path, **changes) -> Handlers:
    settings = Settings(grader="offline", followups=0, data_dir=tmp_path / "data", **changes)
    return Handlers(App(Store(tmp_path / "data"), settings), bundled_banks(settings))


@pytest.mark.slow
def test_a_huge_upload_does_not_hold_up_another_visitors_answer(tmp_path):
    h = handlers(tmp_path)
    huge = load_bank(big_bank(tmp_path / "huge.md", 31_369))  # about 2 MB, under the upload limit
    alone = answer_timed_beside(h, lambda: asyncio.sleep(0))
    beside = answer_timed_beside(h, lambda: h.start(form(h, upload=huge, count=30), Owner.browser("a"), None, "a"))
    assert beside < alone + 1.0, (alone, beside)


@pytest.mark.slow
def test_a_slow_resolver_for_a_typed_llm_url_does_not_hold_up_another_visitors_answer(tmp_path, monkeypatch):
    h = handlers(tmp_path, hosted=True, browser_llm_settings=True)  # a hosted app checks where a typed host goes
    real = socket.getaddrinfo

    def slow_dns(host, *args, **kwargs):  # the machine's resolver, taking 3 s for one name
        if host == "slow-dns.example":
            time.sleep(3)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    typed = form(h, base_url="http://slow-dns.example:8080/v1", model="m")
    alone = answer_timed_beside(h, lambda: asyncio.sleep(0))
    beside = answer_timed_beside(h, lambda: h.start(typed, Owner.browser("a"), None, "a"))
    assert beside < alone + 1.0, (alone, beside)
