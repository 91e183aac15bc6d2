"""The command line when things go wrong: odd input, bad settings, unwritable files, Ctrl+C, Ctrl+D."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer import cli as cli_module
from interviewer.config import Settings
from interviewer.grading.models import CriterionScore, Grade
from interviewer.presentation import format_grade
from interviewer.terminal import read_answers
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "bank" / "genai_misc.md"
ETHICS = "Bias amplification, misinformation and privacy; I would add bias audits and human oversight."
UNKNOWN = "Unknown command /hnt: use /hint, /skip, /repeat, /retry or /end"


def answers(typed: str) -> tuple[list[str | None], str]:
    out = io.StringIO()
    return list(read_answers(io.StringIO(typed), out)), out.getvalue()


def transcript(folder: Path) -> dict:
    [path] = folder.glob("interview-*.json")
    return json.loads(path.read_text(encoding="utf-8"))


# -- terminal input -----------------------------------------------------------------------------------


def test_known_commands_in_any_case_alone_on_the_first_line():
    got, shown = answers("/HINT\n  /Skip  \n/repeat\n/End\n")
    assert got == ["/hint", "/skip", "/repeat", "/end", None]
    assert "Unknown command" not in shown


def test_unknown_command_is_refused_and_asked_again():
    got, shown = answers("/hnt\n\nmy answer\n\n")
    assert got == ["my answer", None]
    assert UNKNOWN in shown
    assert shown.count("> ") == 3  # asked again after the refusal, then once more at the end of input


def test_a_slash_with_more_text_or_more_lines_is_an_answer():
    got, _ = answers("/usr/lib is where the libraries live.\n\n/usr/lib\nholds shared libraries.\n\n/skip me\n\n")
    assert got == ["/usr/lib is where the libraries live.", "/usr/lib\nholds shared libraries.", "/skip me", None]


def test_end_of_input_after_an_answer_ends_the_answers():
    assert answers("last answer\n")[0] == ["last answer", None]


def test_unknown_command_keeps_the_question_in_a_session(tmp_path):
    r = run_cli("practice", "--bank", str(DEFAULT), "-n", "1", "--followups", "0", "--out", "tr",
                stdin=f"/hnt\n\n/HINT\n{ETHICS}\n\n")
    assert r.code == 0, r.err
    assert UNKNOWN in r.out and "Hint 1 of 3" in r.out
    [turn] = transcript(tmp_path / "tr")["turns"]
    assert turn["question_id"] == "genai_misc#1"
    assert turn["answer"] == ETHICS and len(turn["hints"]) == 1


# -- clean errors instead of tracebacks ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("INTERVIEWER_GRADER", "LLM"), ("INTERVIEWER_LLM_TIMEOUT", "abc")])
def test_a_bad_setting_names_the_variable(tmp_path, name, value):
    for args in (["history"], ["practice"], ["grade", "--input", "in.jsonl"]):
        r = run_cli(*args, env={name: value})
        assert r.code == 1, (args, r.err)
        assert "Traceback" not in r.err
        assert r.err.startswith("error: ") and name in r.err and repr(value) in r.err


def test_main_names_a_bad_setting_even_from_a_raw_settings_read(monkeypatch, capsys):
    monkeypatch.setattr(cli_module, "load_settings", lambda **overrides: Settings(**overrides))
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "abc")
    assert cli_module.main(["grade", "--input", "in.jsonl"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid setting: INTERVIEWER_LLM_TIMEOUT: ") and "'abc'" in err


@pytest.mark.parametrize("count", ["0", "501", "many"])
def test_practice_count_out_of_range_is_a_usage_error(tmp_path, count):
    r = run_cli("practice", "-n", count)
    assert r.code == 2
    assert "Traceback" not in r.err
    assert "from 1 to 500" in r.err


def test_grade_unwritable_output_fails_before_grading(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"question": "Q?", "reference": "R.", "answer": "A."}) + "\n",
                                       encoding="utf-8")
    r = run_cli("grade", "--input", "in.jsonl", "--output", "nodir/x.jsonl")
    assert r.code == 1
    assert "Traceback" not in r.err
    assert r.err.startswith("error: nodir/x.jsonl: ")
    assert "grading [" not in r.err


def test_history_export_unwritable_output_and_other_os_errors(tmp_path):
    done = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=f"{ETHICS}\n\n")
    assert done.code == 0, done.err
    r = run_cli("history", "export", transcript(tmp_path / "tr")["session_id"], "--output", "nodir/x.md")
    assert r.code == 1
    assert "Traceback" not in r.err and r.err.startswith("error: nodir/x.md: ")

    (tmp_path / "a-file").write_text("", encoding="utf-8")
    r = run_cli("history", env={"INTERVIEWER_DATA_DIR": str(tmp_path / "a-file")})
    assert r.code == 1
    assert "Traceback" not in r.err and r.err.startswith("error: ") and "a-file" in r.err


def test_running_the_cli_module_itself_does_nothing(tmp_path):
    r = run_cli("history", module="interviewer.cli")
    assert r.code == 0 and r.out == "" and r.err == ""


# -- resume, Ctrl+C, Ctrl+D ---------------------------------------------------------------------------


def test_resume_of_a_finished_session_is_refused(tmp_path):
    done = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=f"{ETHICS}\n\n")
    assert done.code == 0, done.err
    session_id = transcript(tmp_path / "tr")["session_id"]
    r = run_cli("practice", "--resume", session_id[:8], "--out", "again", stdin=f"{ETHICS}\n\n")
    assert r.code == 1
    assert f"session {session_id[:8]} is finished: nothing to resume" in r.err
    assert not (tmp_path / "again").exists()
    latest = run_cli("practice", "--resume")
    assert latest.code == 1 and "no unfinished session" in latest.err


def _read_until_prompt_after(proc: subprocess.Popen, marker: str, timeout: float = 30) -> str:
    """Stdout of a running process until it shows `marker` and then waits at the "> " prompt."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen or not seen.endswith(b"> "):
        assert time.monotonic() < deadline, seen.decode()
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, seen.decode()
            seen += chunk
    return seen.decode()


@pytest.mark.slow  # a real process, interrupted with SIGINT
def test_ctrl_c_saves_what_was_answered_and_the_session_stays_resumable(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer", "practice", "--bank", str(DEFAULT), "-n", "3", "--followups", "0",
         "--out", "tr"],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write(f"{ETHICS}\n\n".encode())
        proc.stdin.flush()
        shown = _read_until_prompt_after(proc, "Question 2 of 3")  # waiting for the second answer
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    out = shown + rest.decode()
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    session_id = out.split("Session ", 1)[1][:8]
    assert (f"Interrupted: the session is saved; resume it with: interviewer practice --resume {session_id}"
            in out)
    saved = transcript(tmp_path / "tr")
    assert saved["finished_at"] is None
    assert [t["answer"] for t in saved["turns"]] == [ETHICS]  # the question left unanswered is not in it
    assert saved["summary"]["total"] == 1
    [row] = json.loads(run_cli("history", "--json").out)
    assert row["finished_at"] is None and row["answered"] == 1

    resumed = run_cli("practice", "--resume", session_id, "--out", "tr2", stdin="/skip\n/skip\n")
    assert resumed.code == 0, resumed.err
    assert "Question 2 of 3" in resumed.out
    turns = transcript(tmp_path / "tr2")["turns"]
    assert [t["answer"] for t in turns] == [ETHICS, None, None] and turns[2]["skipped"]


def test_ctrl_d_before_any_answer_writes_nothing_and_says_so(tmp_path):
    r = run_cli("practice", "--bank", str(DEFAULT), "--out", "tr", stdin="")
    assert r.code == 0, r.err
    assert "\nNo answer given: no transcript written." in r.out
    assert not (tmp_path / "tr").exists()


# -- feedback -----------------------------------------------------------------------------------------


def test_format_grade_shows_everything_the_grade_holds():
    missed = [f"point {i}" for i in range(1, 12)]
    grade = Grade(
        overall=42, grader="llm:m",
        criteria=[CriterionScore(name="correctness", score=3, weight=1, justification="Mostly right.")],
        flags=["truncated_answer", "correctness_not_assessed"],
        factual_errors=["BPE is not a tokenizer library"], strengths=["Clear structure"],
        covered=["bias"], missed=missed, suggestions=["Name a mitigation"],
        improved_answer="First line.\nSecond line.",
    )
    text = format_grade(grade)
    assert "Note: answer cut to the grading budget" in text
    assert "correctness not assessed" not in text  # only the offline grader's label says that
    assert "Factual errors:\n    - BPE is not a tokenizer library" in text
    assert "Strengths:\n    - Clear structure" in text
    assert "Covered: bias" in text
    assert "Missed: point 1; " in text and "point 8; and 3 more" in text and "point 9" not in text
    assert "Suggestions:\n    - Name a mitigation" in text
    assert "Improved answer:\n    First line.\n    Second line." in text


def test_mock_mode_shows_every_feedback_numbered_before_the_summary(tmp_path):
    r = run_cli("practice", "--bank", str(DEFAULT), "-n", "2", "--mode", "mock", "--followups", "0", "--out", "tr",
                stdin=f"{ETHICS}\n\n/skip\n")
    assert r.code == 0, r.err
    during, results = r.out.split("=== Feedback ===")
    assert "Key-point coverage" not in during
    feedback, _ = results.split("=== Summary ===")
    q1 = "Question 1: What ethical considerations are crucial when deploying generative models"
    assert q1 in feedback and "Key-point coverage" in feedback.split(q1)[1].split("Question 2:")[0]
    assert "Question 2: " in feedback and "Skipped" in feedback.split("Question 2: ")[1]


# -- grade and eval -----------------------------------------------------------------------------------


def test_grade_progress_counts_parsed_lines_and_errors_start_their_own_line(tmp_path):
    good = json.dumps({"question": "What is BPE?", "reference": "Byte-pair encoding.", "answer": "Byte pairs."})
    (tmp_path / "in.jsonl").write_text("\n".join([good, '{"question": "broken", ', good]) + "\n", encoding="utf-8")
    r = run_cli("grade", "--input", "in.jsonl", "--grader", "offline")
    assert r.code == 1
    assert "2/2" in r.err and "/3" not in r.err
    lines = r.err.splitlines()
    [bad] = [line for line in lines if "in.jsonl:2:" in line]
    assert bad.startswith("in.jsonl:2: error: not valid JSON (")
    assert "Expecting" not in bad.split("(")[0]


def test_eval_rejects_a_true_score_outside_1_to_5(tmp_path):
    labelled = ROOT / "tests" / "data" / "labelled_genai_misc.jsonl"
    rows = [json.loads(line) for line in labelled.read_text(encoding="utf-8").splitlines() if line.strip()][:4]
    rows[1]["score"] = 7
    (tmp_path / "l.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    r = run_cli("eval", "--input", "l.jsonl", "--grader", "offline", "--json")
    assert r.code == 0, r.err
    assert "l.jsonl:2: error: score" in r.err
    assert json.loads(r.out)["all"]["n"] == 3


# -- messages -----------------------------------------------------------------------------------------


def test_bank_check_counts_and_missing_paths(tmp_path):
    (tmp_path / "one.md").write_text("# One\n\n## 1. Q?\n\n**Answer:**\nA.\n", encoding="utf-8")
    r = run_cli("bank", "check", "one.md")
    assert r.code == 0, r.out
    assert "one.md: ok: 'One', 1 question (0 experience)" in r.out
    assert "1 question in 1 file;" in r.out and "questions" not in r.out
    missing = run_cli("bank", "check", "nowhere.md")
    assert missing.code == 1
    assert "nowhere.md: error: no such file or folder" in missing.out and ":0" not in missing.out
    practice = run_cli("practice", "--bank", "nowhere.md")
    assert practice.code == 1
    assert practice.err.strip() == "error: nowhere.md: no such file or folder"


def test_history_table_says_its_times_are_utc(tmp_path):
    done = run_cli("practice", "-n", "1", "--followups", "0", "--out", "tr", stdin=f"{ETHICS}\n\n")
    assert done.code == 0, done.err
    header = run_cli("history").out.splitlines()[0]
    assert "started (UTC)" in header


def test_bank_check_reports_the_same_question_id_in_two_files(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / "banks" / sub).mkdir(parents=True)
        (tmp_path / "banks" / sub / "ml.md").write_text("# ML\n\n## 1. Q?\n\n**Answer:**\nR.\n", encoding="utf-8")
    result = run_cli("bank", "check", "banks")
    assert result.code == 1
    assert "ml.md:3: error: question id ml#1 already comes from" in result.out
