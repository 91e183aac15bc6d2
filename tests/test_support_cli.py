"""run_cli (tests/support/cli.py) shows what a real `python -m interviewer` process shows."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer import cli
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "bank" / "genai_misc.md"
GOOD = json.dumps({"question": "What is BPE?", "reference": "Byte-pair encoding.", "answer": "Byte pairs."})

# Commands whose output depends on nothing but a session's random id, so two runs must agree to the byte.
SAME_AS_A_PROCESS = {
    "bank_check": (["bank", "check", str(BANK)], ""),
    "missing_bank": (["bank", "check", "nowhere.md"], ""),
    "usage_error": (["practice", "-n", "many"], ""),
    "no_command": ([], ""),
    "help": (["grade", "--help"], ""),
    "progress_bar_and_a_bad_line": (["grade", "--input", "in.jsonl", "--grader", "offline"], ""),
    "empty_history": (["history"], ""),
    "delete_without_a_terminal": (["history", "delete", "--all"], "y\n"),
    "practice_without_answers": (["practice", "--bank", str(BANK), "--out", "tr"], ""),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SAME_AS_A_PROCESS))
def test_in_process_run_matches_a_subprocess(tmp_path, name):
    (tmp_path / "in.jsonl").write_text(f'{GOOD}\n{{"question": \n{GOOD}\n', encoding="utf-8")
    argv, stdin = SAME_AS_A_PROCESS[name]
    real = subprocess.run([sys.executable, "-m", "interviewer", *argv], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    here = run_cli(*argv, stdin=stdin)
    assert (here.code, _ids(here.out), _ids(here.err)) == (real.returncode, _ids(real.stdout), _ids(real.stderr))


def _ids(text: str) -> str:
    return re.sub(r"\bSession [0-9a-f]{8}\b", "Session <id>", text)


def test_exit_codes_of_argparse_and_of_main():
    assert run_cli("--help").code == 0
    bad = run_cli("practice", "--mode", "exam")
    assert bad.code == 2 and "invalid choice: 'exam'" in bad.err and bad.out == ""
    assert run_cli("bank", "check", "nowhere.md").code == 1


def test_an_uncaught_exception_is_exit_1_with_its_traceback(monkeypatch):
    def crash(argv):
        print("before the crash")
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "main", crash)
    r = run_cli("history")
    assert r.code == 1 and r.out == "before the crash\n"
    assert r.err.startswith("Traceback (most recent call last):") and "ZeroDivisionError: boom" in r.err


def test_streams_environment_and_directory_are_the_callers_again_afterwards(monkeypatch, tmp_path):
    seen = {}

    def look(argv):
        seen.update(tty=sys.stdin.isatty(), typed=sys.stdin.read(), cwd=os.getcwd(), argv=list(sys.argv),
                    set=os.environ.get("INTERVIEWER_MODEL"), removed=os.environ.get("INTERVIEWER_DATA_DIR"))
        sys.stdout.write("caf\u00e9\r\n")
        sys.stderr.write("\r1/2\r2/2\n")
        return 3

    monkeypatch.setattr(cli, "main", look)
    (tmp_path / "elsewhere").mkdir()
    stdin, stdout, cwd, data_dir = sys.stdin, sys.stdout, os.getcwd(), os.environ["INTERVIEWER_DATA_DIR"]
    r = run_cli("history", "--json", stdin="typed\r\nlines\n", cwd=tmp_path / "elsewhere",
                env={"INTERVIEWER_MODEL": "m", "INTERVIEWER_DATA_DIR": None})
    assert seen == {"tty": False, "typed": "typed\r\nlines\n", "cwd": str(tmp_path / "elsewhere"),
                    "argv": ["interviewer", "history", "--json"], "set": "m", "removed": None}
    assert (r.code, r.out, r.err) == (3, "caf\u00e9\n", "\n1/2\n2/2\n")  # universal newlines, as text=True reads
    assert (sys.stdin, sys.stdout, os.getcwd()) == (stdin, stdout, cwd)
    assert os.environ["INTERVIEWER_DATA_DIR"] == data_dir and "INTERVIEWER_MODEL" not in os.environ


def test_logging_set_up_by_the_cli_goes_to_its_stderr_and_is_undone(monkeypatch):
    def log(argv):
        logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(message)s")
        logging.getLogger("interviewer.x").warning("seen by the user")
        return 0

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(cli, "main", log)
    r = run_cli("history")
    assert r.err == "WARNING seen by the user\n"
    assert root.handlers == handlers and root.level == level
