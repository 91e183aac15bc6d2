"""The `interviewer` command with the LLM grader, against the fake server over 127.0.0.1 (run in-process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from interviewer.bank import DEFAULT_BANK, load_bank
from tests.support.cli import CliResult, run_cli
from tests.support.fake_openai import FakeOpenAI
from tests.support.responders import FOLLOWUP_TEXT, GOOD_REPLY, PARTIAL_REPLY, GradingResponder

BANK = load_bank(DEFAULT_BANK)
Q = {q.number: q for q in BANK.questions}
ETHICS = ("Key concerns are bias, misinformation and privacy. I would mitigate them with bias audits, "
          "content filtering and human review before release.")
STORY = ("At my last company I led a project to draft contracts with an LLM. I built a retrieval step over our "
         "clause library and I added a checker for legal terms, which cut drafting time by 40%.")


@pytest.fixture
def fake():
    with FakeOpenAI(responder=GradingResponder()) as server:
        yield server


def llm_cli(args: list[str], fake: FakeOpenAI, cwd: Path, stdin: str = "") -> CliResult:
    """`interviewer *args` with only the settings that pick the fake LLM (no other OPENAI_/INTERVIEWER_ ones)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("OPENAI_", "INTERVIEWER_"))}
    env.update({
        "INTERVIEWER_GRADER": "llm", "OPENAI_BASE_URL": fake.base_url, "INTERVIEWER_MODEL": "fake-model",
        "INTERVIEWER_LLM_TIMEOUT": "2", "INTERVIEWER_LLM_RETRIES": "0", "INTERVIEWER_DATA_DIR": str(cwd / "data"),
    })
    return run_cli(*args, stdin=stdin, env=env, cwd=cwd)


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [
    {"id": "a", "question": Q[3].text, "reference": Q[3].reference, "answer": GOOD_REPLY},
    {"id": "b", "question": Q[3].text, "reference": Q[3].reference, "answer": PARTIAL_REPLY},
    {"id": "c", "question": Q[2].text, "reference": Q[2].reference, "answer": STORY, "kind": "experience"},
]


def test_grade_uses_the_llm(fake, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", ROWS)
    result = llm_cli(["grade", "--input", str(src), "--output", str(tmp_path / "out.jsonl")], fake, tmp_path)
    assert result.code == 0, result.err
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    for row, line in zip(ROWS, out):
        assert line["answer"] == row["answer"]
        assert line["grade"]["grader"] == "llm:fake-model", line["grade"]["fallback_reason"]
        assert line["grade"]["fallback_reason"] is None
    assert out[0]["grade"]["overall"] > out[1]["grade"]["overall"]
    assert out[0]["grade"]["key_points"]  # taken from the reference: the lines carry none
    assert [c["name"] for c in out[2]["grade"]["criteria"]][0] == "situation"
    assert len(fake.requests) == 3
    assert "3/3" in result.err  # the progress bar


def test_grade_with_the_server_down_still_grades_every_line(fake, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", ROWS)
    fake.down()
    result = llm_cli(["grade", "--input", str(src)], fake, tmp_path)
    assert result.code == 0, result.err
    out = [json.loads(line) for line in result.out.splitlines()]
    assert len(out) == len(ROWS)
    for row, line in zip(ROWS, out):
        assert line["answer"] == row["answer"]
        assert line["grade"]["grader"] == "offline:meaning"
        assert "could not connect" in line["grade"]["fallback_reason"]


def test_eval_with_the_llm(fake, tmp_path):
    labelled = Path(__file__).parent / "data" / "labelled_genai_misc.jsonl"
    rows = [json.loads(line) for line in labelled.read_text().splitlines() if line.strip()][:7]
    src = write_lines(tmp_path / "labelled.jsonl", rows)
    result = llm_cli(["eval", "--input", str(src), "--json"], fake, tmp_path)
    assert result.code == 0, result.err
    assert json.loads(result.out)["all"]["n"] == 7
    assert len(fake.requests) >= 1


def test_practice_in_the_terminal_with_the_llm(fake, tmp_path):
    typed = "\n".join([ETHICS, "", "I would also watch for harmful outputs and get user consent.", "",
                       STORY, "", "Drafting time fell by 60%.", "", ""])  # a story gets its follow-up too
    result = llm_cli(["practice", "-n", "2", "--followups", "1", "--out", str(tmp_path)], fake, tmp_path,
                     stdin=typed)
    assert result.code == 0, result.err
    out = result.out
    assert f"Grader: LLM: fake-model at {fake.base_url.split('/')[2]}" in out
    assert FOLLOWUP_TEXT in out  # the LLM's follow-up, streamed to the terminal
    assert out.count("LLM grader (fake-model)") == 2
    assert "LLM grading failed" not in out
    assert "=== Summary ===" in out
    transcript = json.loads(next(tmp_path.glob("interview-*.json")).read_text())
    turns = transcript["turns"]
    assert [t["answer"] for t in turns] == [ETHICS, STORY]
    assert turns[0]["followups"] == [{"question": FOLLOWUP_TEXT,
                                      "answer": "I would also watch for harmful outputs and get user consent."}]
    assert all(t["grade"]["grader"] == "llm:fake-model" for t in turns)
    assert transcript["usage"]["prompt_tokens"] > 0
    assert any(r.body.get("stream") for r in fake.requests)


def test_practice_with_the_server_down_goes_on_offline(fake, tmp_path):
    fake.down()
    result = llm_cli(["practice", "-n", "1", "--followups", "0", "--out", str(tmp_path)], fake, tmp_path,
                     stdin=ETHICS + "\n\n")
    assert result.code == 0, result.err
    assert "LLM grading failed (could not connect" in result.out
    transcript = json.loads(next(tmp_path.glob("interview-*.json")).read_text())
    assert transcript["turns"][0]["answer"] == ETHICS
    assert transcript["turns"][0]["grade"]["grader"] == "offline:meaning"
