"""How long another visitor's answer takes while one visitor stalls the app (issue 25, items 1 and 4).

    python bench/stalls.py            # prints one line per case: the answer alone, and beside the stall

Cases: a 31,369-question upload being started (about 2 MB); a typed LLM host whose name takes 3 s to resolve;
the history's SQLite file locked by another process for 8 s (two real clients through gradio_client).
Runs against whatever `interviewer` is importable, so the same script measures an older checkout too.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

ANSWER = "Bias audits and human oversight, content filters before release, monitoring after it."


def handlers(folder: Path, **settings):
    from interviewer.config import Settings
    from interviewer.service import App
    from interviewer.store import Store
    from interviewer.web.handlers import Handlers
    from interviewer.web.setup import bundled_banks

    config = Settings(grader="offline", followups=0, data_dir=folder, **settings)
    return Handlers(App(Store(folder), config), bundled_banks(config))


def form(h, **changes):
    from interviewer.web.handlers import StartForm

    fields = dict(banks=[next(iter(h.banks))], count=3, order="in-order", mode="practice", followups=False,
                  base_url="", model="", api_key="", upload=None)  # fmt: skip
    return StartForm(**{**fields, **changes})


def beside(h, heavy) -> float:
    from interviewer.owner import Owner

    async def both() -> float:
        ws = (await h.start(form(h), Owner.browser("b" * 24), None, "b")).ws
        started = time.monotonic()  # the answer is sent just after the heavy start
        task = asyncio.ensure_future(heavy())
        await asyncio.sleep(0)  # the heavy start takes the loop first, as if it had come in first
        async for _ in h.answer(ANSWER, ws):
            pass
        took = time.monotonic() - started
        await task
        return took

    return asyncio.run(both())


def in_process_cases(folder: Path) -> None:
    from interviewer.bank import load_bank
    from interviewer.owner import Owner

    h = handlers(folder / "a")
    bank = folder / "huge.md"
    bank.write_text("# Huge\n\n" + "".join(f"## {n}. What is item {n} about?\n\n**Answer:**\nTopic {n}.\n\n"
                                           for n in range(1, 31_370)), encoding="utf-8")  # fmt: skip
    huge = load_bank(bank)
    alone = beside(h, lambda: asyncio.sleep(0))
    heavy = beside(h, lambda: h.start(form(h, upload=huge, count=30), Owner.browser("a" * 24), None, "a"))
    print(f"huge upload started   answer alone {alone:6.3f} s   beside it {heavy:6.3f} s")
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        if host == "slow-dns.example":
            time.sleep(3)
            raise socket.gaierror(socket.EAI_NONAME, "not known")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = slow
    h = handlers(folder / "c", hosted=True, browser_llm_settings=True)  # a hosted app checks a typed host
    typed = form(h, base_url="http://slow-dns.example:8080/v1", model="m")
    dns = beside(h, lambda: h.start(typed, Owner.browser("a" * 24), None, "a"))
    socket.getaddrinfo = real
    print(f"3 s resolver          answer alone {alone:6.3f} s   beside it {dns:6.3f} s")


def locked_sqlite_case(folder: Path) -> None:
    from gradio_client import Client

    from interviewer.config import Settings
    from tests.support.browser import served

    with served(Settings(grader="offline", followups=0, data_dir=folder)) as url:
        stuck, other = Client(url, verbose=False), Client(url, verbose=False)
        for client in (stuck, other):
            client.predict(count=5, followups=False, api_name="/start")

        def timed(client) -> float:
            started = time.monotonic()
            client.predict(ANSWER, api_name="/answer")
            return time.monotonic() - started

        usual = timed(other)
        held = threading.Event()

        def hold() -> None:
            conn = sqlite3.connect(folder / "history.sqlite3", timeout=30)
            conn.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(8)
            conn.rollback()

        locker = threading.Thread(target=hold)
        locker.start()
        held.wait(10)
        done: dict[str, float] = {}
        first = threading.Thread(target=lambda: done.setdefault("stuck", timed(stuck)))
        first.start()
        time.sleep(0.3)
        during = timed(other)
        first.join()
        locker.join()
        print(f"SQLite locked 8 s     answer alone {usual:6.3f} s   beside it {during:6.3f} s "
              f"(the locked one's answer: {done['stuck']:.3f} s)")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("INTERVIEWER_SEMANTIC", os.environ.get("INTERVIEWER_SEMANTIC", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        in_process_cases(Path(tmp))
        locked_sqlite_case(Path(tmp) / "b")
