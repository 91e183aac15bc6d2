"""Fault injection (issue 12): a full disk (a tiny tmpfs), a read-only or unusable data folder, a locked
database, lone surrogates through every entry point, and tampered transcripts. The interview goes on, no
answer is lost, the candidate is told once, and saving resumes when it can.

Mounting a tmpfs needs root, as CI runs."""

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
from interviewer.presentation import render_transcript
from interviewer.service import App
from interviewer.store import Store
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = load_bank(ROOT / "bank" / "genai_misc.md").questions
ANSWER = "Bias audits, human oversight and content filtering before release, then monitoring for harms."
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


@pytest.mark.root
def test_a_full_disk_mid_session_keeps_the_answers_says_so_once_and_saves_again_when_it_can(tmp_path):
    with tmpfs(tmp_path / "disk", "512k") as disk:
        store = Store(disk / "data")
        core = App(store, Settings()).scope(Owner.terminal())
        session = core.start(QUESTIONS[:3], core.app.session_settings(count=3, followups=0))
        filler = fill(disk)
        step = asyncio.run(session.answer(LONG_ANSWER))
        assert step.feedback is not None, "the grade is still shown"
        assert "full" in session.history_problem()
        filler.unlink()  # space again: the next event writes the whole session
        asyncio.run(session.answer("Second answer: misinformation and privacy, with human review."))
        assert session.history_problem() is None
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


@pytest.mark.root
def test_the_terminal_on_a_full_disk_writes_its_transcript_and_says_once_why_history_is_off(tmp_path):
    from interviewer import terminal

    with tmpfs(tmp_path / "disk", "512k") as disk:
        core = App(Store(disk / "data"), Settings()).scope(Owner.terminal())
        session = core.start(QUESTIONS[:3], core.app.session_settings(count=3, followups=0))
        typed = FillsTheDiskWhileTyping(f"{LONG_ANSWER}\n\n/skip\nA third answer about transparency.\n\n", disk)
        out = io.StringIO()
        code = terminal.practice(session, core.app.default_grader(), typed, out, tmp_path / "out")
    shown = out.getvalue()
    assert code == 0 and "Key-point coverage" in shown  # the grade is still shown
    assert shown.count("The history is not being saved") == 1 and "full" in shown
    [saved] = (tmp_path / "out").glob("*.json")
    turns = json.loads(saved.read_text(encoding="utf-8"))["turns"]
    assert turns[0]["answer"] == LONG_ANSWER and turns[1]["skipped"] and "transparency" in turns[2]["answer"]


@pytest.mark.root
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
    core = App(store, Settings()).scope(Owner.terminal())
    session = core.start(QUESTIONS[:1], core.app.session_settings(count=1, followups=0))
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
    asyncio.run(session.answer(LONG_ANSWER))
    holder.join()
    assert session.history_problem() is None
    assert core.saved_transcript(session.session_id).turns[0].answer == LONG_ANSWER


@pytest.fixture(autouse=True)
def no_mount_left(tmp_path):
    yield
    mounts = Path("/proc/mounts").read_text()
    assert str(tmp_path) not in mounts, "a test left a tmpfs mounted"


# -- 5. tampered transcripts ------------------------------------------------------------------------


def exported_transcript(tmp_path: Path) -> dict:
    core = App(Store(tmp_path / "src"), Settings()).scope(Owner.terminal())
    session = core.start(QUESTIONS[:1], core.app.session_settings(count=1, followups=0))
    asyncio.run(session.answer(ANSWER))
    return json.loads(render_transcript(core.saved_transcript(session.session_id), "json"))


@pytest.mark.parametrize("field, value, named", [
    ("session_id", "", "session_id"),
    ("session_id", "../../etc/passwd", "session_id"),
    ("session_id", "a%b_c%d", "session_id"),
    ("settings", {"mode": "evil", "count": 1}, "settings.mode"),
    ("settings", {"count": 0}, "settings.count"),
])
def test_a_tampered_transcript_is_refused_with_the_field_named(tmp_path, field, value, named):
    data = exported_transcript(tmp_path)
    data[field] = value
    (tmp_path / "t.json").write_text(json.dumps(data), encoding="utf-8")
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("history", "import", "t.json", env=env)
    assert result.code == 1 and named in result.err and "Traceback" not in result.err
    assert json.loads(run_cli("history", "--json", env=env).out) == []  # nothing half-imported


def test_id_prefixes_are_plain_text_not_wildcards(tmp_path):
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    for _ in range(2):
        assert run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=ANSWER + "\n\n",
                       env=env).code == 0  # fmt: skip
    for pattern in ("%", "_", "", "%%%%"):
        result = run_cli("history", "export", pattern, env=env)
        assert result.code == 1 and "matches 2 sessions" not in result.err, pattern
    [first, _] = json.loads(run_cli("history", "--json", env=env).out)
    assert run_cli("history", "delete", first["id"][:6], "--yes", env=env).code == 0


# -- 3. invalid Unicode ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_bytes_that_are_not_utf8_on_stdin_keep_the_answer(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "INTERVIEWER_DATA_DIR": str(tmp_path / "d"), "LC_ALL": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8"}  # fmt: skip
    typed = b"Bias audits and human oversight \xff\xfe matter.\n\n"
    command = [sys.executable, "-m", "interviewer", "practice", "-n", "1", "--followups", "0", "--out", "tr"]
    result = subprocess.run(command, input=typed, capture_output=True, cwd=tmp_path, env=env, timeout=120)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode()
    assert "could not be read as text" in out and "Key-point coverage" in out
    [saved] = (tmp_path / "tr").glob("*.json")
    answer = json.loads(saved.read_text(encoding="utf-8"))["turns"][0]["answer"]
    assert answer.startswith("Bias audits and human oversight \ufffd\ufffd matter.")


def test_lone_surrogates_in_a_batch_grade_every_line(tmp_path):
    lines = [json.dumps({"question": "What is bias?", "reference": "Skewed data.", "answer": f"Skewed {i} \ud800 data"})
             for i in range(6)]  # fmt: skip
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("grade", "--input", "in.jsonl", "--grader", "offline")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert len(rows) == 6 and all("\ufffd" in r["answer"] and "grade" in r for r in rows)
    assert result.err.count("could not be read as text") == 6


def test_lone_surrogates_through_the_engine_a_transcript_import_and_the_history(tmp_path):
    store = Store(tmp_path / "data")
    core = App(store, Settings()).scope(Owner.terminal())
    session = core.start(QUESTIONS[:1], core.app.session_settings(count=1, followups=0))
    asyncio.run(session.answer("Bias \ud800 audits and oversight."))  # e.g. through the web API
    saved = core.saved_transcript(session.session_id)
    assert saved.turns[0].answer == "Bias \ufffd audits and oversight."
    data = json.loads(render_transcript(saved, "json"))
    data["session_id"] = "f" * 32
    data["turns"][0]["answer"] = "Tampered \udc80 answer"
    (tmp_path / "t.json").write_text(json.dumps(data), encoding="utf-8")
    env = {"INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("history", "import", "t.json", env=env)
    assert result.code == 0 and "could not be read as text" in result.err
    exported = json.loads(run_cli("history", "export", "f" * 8, "--format", "json", env=env).out)
    assert exported["turns"][0]["answer"] == "Tampered \ufffd answer"


# -- 7. a data folder the history cannot use ------------------------------------------------------------


def unusable_data_folders(tmp_path: Path) -> dict[str, Path]:
    """Ways the history database cannot be opened, without needing another user or a mount."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    db_is_a_folder = tmp_path / "db-is-a-folder"
    (db_is_a_folder / "history.sqlite3").mkdir(parents=True)
    not_a_database = tmp_path / "not-a-database"
    not_a_database.mkdir()
    (not_a_database / "history.sqlite3").write_bytes(b"this is not SQLite" * 100)
    return {"a file": a_file, "database path is a folder": db_is_a_folder, "not a database": not_a_database}


@pytest.mark.parametrize("case", ["a file", "database path is a folder", "not a database"])
def test_practice_goes_on_without_history_and_history_says_why(tmp_path, case):
    folder = unusable_data_folders(tmp_path)[case]
    env = {"INTERVIEWER_DATA_DIR": str(folder)}
    result = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=ANSWER + "\n\n", env=env)
    assert result.code == 0, result.err
    assert "History is off" in result.err and "Traceback" not in result.err
    assert "Key-point coverage" in result.out and list((tmp_path / "tr").glob("*.json"))  # the answer is kept
    listing = run_cli("history", env=env)
    assert listing.code == 1 and listing.err.startswith("error: cannot use the history")


@pytest.mark.parametrize("case", ["a file", "database path is a folder", "not a database"])
def test_the_web_app_starts_without_history_and_says_so_on_the_interview_tab(tmp_path, case):
    from interviewer.web.app import build_app

    folder = unusable_data_folders(tmp_path)[case]
    demo = build_app(Settings(data_dir=folder))
    header = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "grader-label")
    assert "History is off" in header.value


@pytest.mark.browser
def test_lone_surrogates_typed_into_the_web_app_keep_the_answer(tmp_path):
    """A page can hold a lone surrogate in the answer box (pasted, or set by script) and sends it escaped
    in its JSON: the answer is kept with the code point replaced, graded, and the page says so."""
    from playwright.sync_api import expect, sync_playwright

    from tests.support.browser import download, launch_chromium, new_page, open_app, served, setup, start

    with served(Settings(grader="offline", followups=0, data_dir=tmp_path / "data")) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = new_page(browser, accept_downloads=True)
        open_app(page, url)
        setup(page, count=1, followups=False)
        start(page, 1)
        box = page.locator("#answer-box textarea")
        box.evaluate("el => { el.value = 'Bias \\ud800 audits and human oversight.'; "
                     "el.dispatchEvent(new Event('input', {bubbles: true})); }")  # fmt: skip
        page.locator("#submit-btn").click()
        expect(page.locator("#notice")).to_contain_text("could not be read as text")
        _, raw = download(page, "dl-json")
        browser.close()
    turn = json.loads(raw)["turns"][0]
    assert turn["answer"] == "Bias \ufffd audits and human oversight." and turn["grade"] is not None
