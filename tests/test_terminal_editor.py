"""The terminal's answer editor in a real pseudo-terminal (issue 24): a pasted answer of several paragraphs is
taken whole (nothing of it is sent early or left for the shell), and ending with text not sent asks first."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import isolated_env

pytestmark = pytest.mark.slow  # each test drives a real process in a pseudo-terminal

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
EDITOR_OPENS = "\x1b[?2004h"
CURSOR_QUERY, CURSOR_AT = b"\x1b[6n", b"\x1b[1;1R"  # prompt_toolkit asks where the cursor is: answer it


class Pty:
    """`interviewer practice` on a pseudo-terminal: type into it, read its screen's bytes."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        master, slave = pty.openpty()
        env = {k: v for k, v in {**os.environ, **isolated_env(tmp_path / "data")}.items() if v is not None}
        env |= {"TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interviewer", "practice", "--out", str(tmp_path / "out"), *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.master, self.seen = master, b""

    def editor_ready(self) -> None:
        """Wait until the editor (re)opens: it turns bracketed paste on each time it asks for an answer."""
        self.editors = getattr(self, "editors", 0) + 1
        self.read_until(EDITOR_OPENS, times=self.editors)

    def read_until(self, marker: str, timeout: float = 60, times: int = 1) -> str:
        deadline = time.monotonic() + timeout
        while self.seen.count(marker.encode()) < times:
            assert time.monotonic() < deadline, f"{marker!r} not shown; the screen had:\n{self.screen()[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process ended and closed the terminal
                    break
                self.seen += chunk
                if CURSOR_QUERY in chunk:
                    os.write(self.master, CURSOR_AT)
        return self.screen()

    def screen(self) -> str:
        return self.seen.decode("utf-8", "replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())
        time.sleep(0.3)

    def finish(self) -> int:
        try:
            self.read_until("\x00never", timeout=30)  # drain until it exits
        except AssertionError:
            pass
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code


def transcript(tmp_path: Path) -> dict:
    (found,) = (tmp_path / "out").glob("*.json")
    return json.loads(found.read_text(encoding="utf-8"))


PARAGRAPHS = [
    "Bias and fairness: audit the training data and the outputs for bias before release.",
    "Privacy: never train on personal data without consent, and filter personal data out.",
    "It also needs human oversight, content filters and monitoring after release.",
]


def test_a_pasted_three_paragraph_answer_is_taken_whole(tmp_path):
    term = Pty(tmp_path, "-n", "1", "--followups", "0")
    term.read_until("Question 1 of 1")
    term.editor_ready()
    term.type(PASTE_START + "\r\r".join(PARAGRAPHS) + PASTE_END)  # a terminal sends Enter as \r
    term.type("\r")  # the cursor is at the end of a line with text: a new line, nothing sent
    assert "=== Summary ===" not in term.screen()
    term.type("\r")  # Enter on the empty line sends
    term.read_until("Transcript written")
    assert term.finish() == 0
    (turn,) = transcript(tmp_path)["turns"]
    assert turn["answer"].split("\n\n") == PARAGRAPHS


def test_ending_with_text_not_sent_asks_and_can_keep_it_as_a_draft(tmp_path):
    term = Pty(tmp_path, "-n", "2", "--followups", "0")
    term.read_until("Question 1 of 2")
    term.editor_ready()
    term.type(PASTE_START + PARAGRAPHS[0] + PASTE_END + "\r\r")
    term.read_until("Question 2 of 2")
    term.editor_ready()
    term.type("Half of my second answer")
    term.type("\x04")  # Ctrl+D: the end of input, with text not sent
    term.read_until("[d]iscard it?")
    term.type("k\r")
    term.read_until("Transcript written")
    assert term.finish() == 0
    first, second = transcript(tmp_path)["turns"]
    assert first["answer"] == PARAGRAPHS[0]
    assert second["answer"] is None and second["draft"] == "Half of my second answer"


def test_slash_end_after_text_asks_and_send_grades_it(tmp_path):
    term = Pty(tmp_path, "-n", "2", "--followups", "0")
    term.read_until("Question 1 of 2")
    term.editor_ready()
    term.type("Bias audits and human oversight\r/end\r")
    term.read_until("[d]iscard it?")
    term.type("s\r")
    term.read_until("Transcript written")
    assert term.finish() == 0
    (turn,) = transcript(tmp_path)["turns"]
    assert turn["answer"] == "Bias audits and human oversight" and turn["grade"] is not None
