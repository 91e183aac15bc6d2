"""Re-grading a saved session with another grader (issue 13, part 4), through the CLI against a real HTTP
server speaking the OpenAI API: a new transcript naming the original, which stays untouched; a side-by-side
table with Spearman and the mean absolute difference; no change to the review schedule; hints kept; an LLM
failure keeps the old grade and says so; no LLM configured is exit 2 with nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.cli import isolated_env, run_cli
from tests.support.fake_openai import FakeOpenAI
from tests.support.responders import GradingResponder

ANSWERS = [
    "/hint",
    "Bias amplification and misinformation are the risks; I audit for bias and keep human oversight.",
    "I built a legal drafting system with RAG over case law; it cut drafting time by 60%.",
    "Latent space is a compressed representation where similar inputs sit close together.",
]


def env_for(tmp_path: Path, fake: FakeOpenAI | None = None) -> dict[str, str | None]:
    return isolated_env(tmp_path / "data", fake.base_url if fake else None)


def practised(tmp_path: Path) -> str:
    """An offline practice session of three questions (a hint on the first), saved; its id."""
    typed = "".join(f"{a}\n" if a.startswith("/") else f"{a}\n\n" for a in ANSWERS)
    result = run_cli("practice", "-n", "3", "--followups", "0", "--out", "tr", stdin=typed, env=env_for(tmp_path),
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    [row] = json.loads(run_cli("history", "--json", env=env_for(tmp_path)).out)
    return row["id"]


def reviews(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as conn:
        return conn.execute("SELECT * FROM reviews ORDER BY question_id").fetchall()


def export(tmp_path: Path, session_id: str) -> str:
    return run_cli("history", "export", session_id, "--format", "json", env=env_for(tmp_path)).out


def test_regrade_with_an_llm_writes_a_new_transcript_and_compares_the_two(tmp_path):
    sid = practised(tmp_path)
    before, schedule = export(tmp_path, sid), reviews(tmp_path)
    with FakeOpenAI(responder=GradingResponder()) as fake:
        result = run_cli("regrade", sid[:8], "--grader", "llm", "--output", "new.json", env=env_for(tmp_path, fake),
                         cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    out = result.out
    assert f"Re-grade of {sid[:8]} (offline:words) with llm:fake-model" in out
    assert out.count(" offline:words ") >= 3 and out.count("llm:fake-model") >= 4  # one row per graded answer
    assert "Spearman between the two gradings:" in out and "mean absolute difference:" in out
    new = json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))
    assert new["regrade_of"] == sid and new["session_id"] != sid and new["grader"] == "llm:fake-model"
    graded = [t for t in new["turns"] if t["grade"]]
    assert len(graded) == 3 and all(t["grade"]["grader"] == "llm:fake-model" for t in graded)
    assert new["turns"][0]["hints"] and new["turns"][0]["grade"]["penalties"] == [{"reason": "hint", "points": 5.0}]
    assert export(tmp_path, sid) == before  # the original is untouched
    assert reviews(tmp_path) == schedule  # and the review schedule too
    listing = run_cli("history", env=env_for(tmp_path)).out
    assert f"regrade:{sid[:8]}" in listing and new["session_id"][:8] in listing


def test_regrade_json_and_a_transcript_file_as_the_source(tmp_path):
    sid = practised(tmp_path)
    (tmp_path / "original.json").write_text(export(tmp_path, sid), encoding="utf-8")
    result = run_cli("regrade", "original.json", "--grader", "offline", "--json", env=env_for(tmp_path),
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["regrade_of"] == sid and len(report["rows"]) == 3
    assert abs(report["spearman"] - 1) < 1e-9 and report["mean_abs_difference"] == 0.0  # the same grader agrees
    assert Path(tmp_path / report["output"]).is_file()


def test_an_llm_failing_on_one_answer_keeps_its_old_grade_and_says_so(tmp_path):
    sid = practised(tmp_path)
    good = GradingResponder()

    def flaky(body):
        text = json.dumps(body)
        return "this is not JSON" if "legal drafting" in text else good(body)

    with FakeOpenAI(responder=flaky) as fake:
        result = run_cli("regrade", sid, "--grader", "llm", "--json", env=env_for(tmp_path, fake), cwd=tmp_path)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    kept = [r for r in report["rows"] if not r["regraded"]]
    assert len(kept) == 1 and report["not_regraded"] == 1 and kept[0]["new_grader"] == "offline:words"
    new = json.loads(Path(tmp_path / report["output"]).read_text(encoding="utf-8"))
    story = next(t for t in new["turns"] if "legal drafting" in (t["answer"] or ""))
    assert "not_regraded" in story["grade"]["flags"]
    table = run_cli("regrade", sid, "--grader", "offline", env=env_for(tmp_path), cwd=tmp_path)
    assert table.code == 0 and "not re-graded" not in table.out


def test_regrade_with_llm_and_no_llm_configured_is_exit_2_and_writes_nothing(tmp_path):
    sid = practised(tmp_path)
    sessions = run_cli("history", "--json", env=env_for(tmp_path)).out
    result = run_cli("regrade", sid, "--grader", "llm", env=env_for(tmp_path), cwd=tmp_path)
    assert result.code == 2 and "--grader llm" in result.err and "OPENAI_BASE_URL" in result.err
    assert not list(tmp_path.glob("regrade-*.json"))
    assert run_cli("history", "--json", env=env_for(tmp_path)).out == sessions
