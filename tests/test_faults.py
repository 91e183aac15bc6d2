"""Fault injection (issue 12): a full disk (a tiny tmpfs), a read-only data folder, a locked database. The
interview goes on, no answer is lost, the candidate is told once, and saving resumes when it can.

Mounting a tmpfs needs root, as CI runs; lone surrogates and tampered transcripts are in test_hardening.py."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.service import Interviewer
from interviewer.store import Store
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
LONG_ANSWER = ("Bias audits before release, human oversight and content filtering, then monitoring for harms. " * 60)


@contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    assert os.geteuid() == 0, "mounting a tmpfs needs root (CI runs as root)"
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Take every free byte of the file system that holds `folder`."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:  # no space left: done
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_mid_session_keeps_the_answers_says_so_once_and_saves_again_when_it_can(tmp_path):
    with tmpfs(tmp_path / "disk", "512k") as disk:
        store = Store(disk / "data")
        core = Interviewer(store, Settings(), Owner.terminal())
        session = core.start(QUESTIONS[:3], core.session_settings(count=3, followups=0))
        filler = fill(disk)
        step = asyncio.run(core.answer(session, LONG_ANSWER))
        assert step.feedback is not None, "the grade is still shown"
        assert "full" in core.history_problem(session)
        filler.unlink()  # space again: the next event writes the whole session
        asyncio.run(core.answer(session, "Second answer: misinformation and privacy, with human review."))
        assert core.history_problem(session) is None
        saved = core.saved_transcript(session.session_id)
        assert [t.answer for t in saved.turns[:2]] == [LONG_ANSWER, session.turns[1].answer]


class FillsTheDiskWhileTyping(io.StringIO):
    """Typed input that fills the disk as the first answer is being typed (mid-session)."""

    def __init__(self, text: str, disk: Path) -> None:
        super().__init__(text)
        self.disk, self.lines = disk, 0

    def __next__(self) -> str:
        self.lines += 1
        if self.lines == 2:
            fill(self.disk)
        return super().__next__()


def test_the_terminal_on_a_full_disk_writes_its_transcript_and_says_once_why_history_is_off(tmp_path):
    from interviewer import terminal

    with tmpfs(tmp_path / "disk", "512k") as disk:
        core = Interviewer(Store(disk / "data"), Settings(), Owner.terminal())
        session = core.start(QUESTIONS[:3], core.session_settings(count=3, followups=0))
        typed = FillsTheDiskWhileTyping(f"{LONG_ANSWER}\n\n/skip\nA third answer about transparency.\n\n", disk)
        out = io.StringIO()
        code = terminal.practice(core, session, core.default_grader(), typed, out, tmp_path / "out")
    shown = out.getvalue()
    assert code == 0 and "Key-point coverage" in shown  # the grade is still shown
    assert shown.count("The history is not being saved") == 1 and "full" in shown
    [saved] = (tmp_path / "out").glob("*.json")
    turns = json.loads(saved.read_text(encoding="utf-8"))["turns"]
    assert turns[0]["answer"] == LONG_ANSWER and turns[1]["skipped"] and "transparency" in turns[2]["answer"]


def test_a_read_only_data_folder_turns_history_off(tmp_path):
    data = tmp_path / "ro"
    with tmpfs(data, "1m", read_only=True):
        env = {"INTERVIEWER_DATA_DIR": str(data / "history")}
        result = run_cli("practice", "-n", "1", "--followups", "0", "--out", str(tmp_path / "out"),
                         stdin=LONG_ANSWER + "\n\n", env=env)  # fmt: skip
    assert result.code == 0 and "History is off" in result.err and "Traceback" not in result.err
    assert list((tmp_path / "out").glob("*.json"))


def test_a_database_locked_by_another_writer_waits_instead_of_failing(tmp_path):
    store = Store(tmp_path / "data")
    core = Interviewer(store, Settings(), Owner.terminal())
    session = core.start(QUESTIONS[:1], core.session_settings(count=1, followups=0))
    held = threading.Event()

    def hold_lock() -> None:
        with sqlite3.connect(store.path, isolation_level=None) as other:
            other.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(1.5)
            other.execute("COMMIT")

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(5)
    asyncio.run(core.answer(session, LONG_ANSWER))
    holder.join()
    assert core.history_problem(session) is None
    assert core.saved_transcript(session.session_id).turns[0].answer == LONG_ANSWER


@pytest.fixture(autouse=True)
def no_mount_left(tmp_path):
    yield
    mounts = Path("/proc/mounts").read_text()
    assert str(tmp_path) not in mounts, "a test left a tmpfs mounted"
