"""The command line, run in-process (tests/support/cli.py): bank check/export, grade, eval, practice driven
through stdin."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.net import free_port
from tests.support.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
BANK_DIR = ROOT / "bank"
DEFAULT = BANK_DIR / "genai_misc.md"
LABELLED = ROOT / "tests" / "data" / "labelled_genai_misc.jsonl"


BAD_BANK = "# Bad\n\n## 1. Fine?\n\n**Answer:**\nYes.\n\n## 1. Same number again?\n\n**Answer:**\nNo.\n"


# -- bank check ---------------------------------------------------------------------------------------


def test_bank_check_default_folder(tmp_path):
    r = run_cli("bank", "check", str(BANK_DIR))
    assert r.code == 0, r.err
    assert "11 questions" in r.out
    assert "genai_misc.md" in r.out


def test_bank_check_json_contract(tmp_path):
    r = run_cli("bank", "check", str(BANK_DIR), "--json")
    assert r.code == 0, r.err
    reports = json.loads(r.out)
    shipped = [*sorted(BANK_DIR.glob("*.md")), *sorted(BANK_DIR.glob("library/*.md"))]  # the default, the library
    assert isinstance(reports, list) and sorted(Path(r["path"]).resolve() for r in reports) == sorted(shipped)
    assert all(r["errors"] == [] and r["warnings"] == [] for r in reports)  # every shipped bank, no warning
    report = next(r for r in reports if Path(r["path"]).resolve() == DEFAULT)
    assert set(report) == {"path", "title", "questions", "experience", "draft", "errors", "warnings"}
    assert Path(report["path"]).resolve() == DEFAULT
    assert report["title"] == "Some Miscellaneous Questions"
    assert report["questions"] == 11
    assert report["experience"] == 2
    assert report["errors"] == [] and report["warnings"] == []


def test_bank_check_bad_bank_exits_1_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(BAD_BANK, encoding="utf-8")
    r = run_cli("bank", "check", str(bad), str(DEFAULT))
    assert r.code == 1
    assert f"{bad}:8:" in r.out + r.err
    assert "genai_misc.md" in r.out  # the good bank is still reported
    rj = run_cli("bank", "check", "bad.md", "--json")
    assert rj.code == 1
    [report] = json.loads(rj.out)
    assert set(report) == {"path", "title", "questions", "experience", "draft", "errors", "warnings"}
    assert report["path"] == "bad.md"
    assert len(report["errors"]) == 1
    assert set(report["errors"][0]) == {"line", "message"}
    assert report["errors"][0]["line"] == 8
    assert "duplicate" in report["errors"][0]["message"]


def test_bank_check_undecodable_file(tmp_path):
    (tmp_path / "latin.md").write_bytes(b"# T\n## 1. Q?\n**Answer:**\nna\xefve\n")
    r = run_cli("bank", "check", "latin.md")
    assert r.code == 1
    assert "latin.md:4:" in r.out + r.err


def test_bank_check_missing_path(tmp_path):
    r = run_cli("bank", "check", "nowhere.md")
    assert r.code == 1
    assert "nowhere.md" in r.out + r.err


# -- bank export --------------------------------------------------------------------------------------


def test_bank_export_jsonl(tmp_path):
    r = run_cli("bank", "export", str(DEFAULT), "--format", "jsonl")
    assert r.code == 0, r.err
    lines = r.out.strip().split("\n")
    assert len(lines) == 11
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert set(row) >= {"id", "number", "question", "reference", "kind", "key_points", "line"}
        assert isinstance(row["key_points"], list) and row["key_points"]
        assert isinstance(row["line"], int) and row["line"] > 0
        assert row["kind"] in ("technical", "experience")
    assert [row["number"] for row in rows] == list(range(1, 12))
    assert [row["id"] for row in rows][:2] == ["genai_misc#1", "genai_misc#2"]
    assert [row["number"] for row in rows if row["kind"] == "experience"] == [2, 4]
    assert "Bias amplification" in rows[0]["key_points"]
    assert rows[0]["line"] == 3


def test_bank_export_json(tmp_path):
    r = run_cli("bank", "export", str(DEFAULT))
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert len(rows) == 11
    assert rows[-1]["reference"].endswith("democratization of AI capabilities.")
    assert {row["level"] for row in rows} == {None} and rows[0]["topics"] == []
    library = json.loads(run_cli("bank", "export", str(BANK_DIR / "library" / "rag.md")).out)
    assert library[0]["level"] == "junior" and library[0]["topics"] == ["rag", "pipeline"]


def test_bank_export_bad_bank_fails(tmp_path):
    (tmp_path / "bad.md").write_text(BAD_BANK, encoding="utf-8")
    r = run_cli("bank", "export", "bad.md", "--format", "jsonl")
    assert r.code == 1
    assert "bad.md:8" in r.err


# -- grade --------------------------------------------------------------------------------------------

Q1 = "What ethical considerations are crucial when deploying generative models, and how do you address them?"
REF1 = (
    "**Key Concerns:** Bias amplification, misinformation generation, privacy violations.\n\n"
    "**Mitigation Strategies:** Diverse training data, bias auditing, content filtering, human oversight."
)


def _grade_input(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"question": Q1, "reference": REF1, "answer": "Bias amplification and privacy; I audit for bias.",
                    "id": "a"}),
        '{"question": "broken", "reference": ',
        json.dumps({"question": "Tell me about a project.", "reference": "**Project:** Built a search tool.",
                    "answer": "At my last company I built a search tool; latency fell by 40%.", "kind": "experience",
                    "id": 7}),
        json.dumps({"question": Q1, "reference": REF1, "id": "no-answer"}),
        "",
        json.dumps({"question": Q1, "reference": REF1, "answer": "I don't know"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_grade_reports_bad_lines_and_grades_the_rest(tmp_path):
    _grade_input(tmp_path)
    r = run_cli("grade", "--input", "in.jsonl", "--grader", "offline")
    assert r.code == 1
    out = [json.loads(line) for line in r.out.strip().split("\n")]
    assert [o.get("id") for o in out] == ["a", 7, None]
    for o in out:
        g = o["grade"]
        assert g["grader"] == "offline:words"
        assert 0 <= g["overall"] <= 100
        assert set(g) >= {"overall", "criteria", "key_points", "covered", "missed", "flags"}
    assert out[0]["answer"] == "Bias amplification and privacy; I audit for bias."
    assert out[0]["grade"]["overall"] > 0
    assert {c["name"] for c in out[1]["grade"]["criteria"]} >= {"situation", "actions", "outcome"}
    assert out[2]["grade"]["overall"] == 0
    assert "in.jsonl:2:" in r.err
    assert "in.jsonl:4:" in r.err
    assert "answer" in r.err.split("in.jsonl:4:")[1].split("\n")[0]
    for n in (1, 3, 5, 6):
        assert f"in.jsonl:{n}:" not in r.err


def test_grade_reports_non_object_and_bad_kind_lines(tmp_path):
    good = json.dumps({"question": Q1, "reference": REF1, "answer": "Bias amplification and privacy violations."})
    bad_kind = json.dumps({"question": Q1, "reference": REF1, "answer": "Bias.", "kind": "trivia"})
    (tmp_path / "in.jsonl").write_text("\n".join([good, "[1, 2]", bad_kind, good]) + "\n", encoding="utf-8")
    r = run_cli("grade", "--input", "in.jsonl")
    assert r.code == 1
    assert len(r.out.strip().split("\n")) == 2
    assert "in.jsonl:2:" in r.err and "in.jsonl:3:" in r.err


def test_grade_line_with_undecodable_bytes_does_not_stop_the_rest(tmp_path):
    good = json.dumps({"question": Q1, "reference": REF1, "answer": "Bias amplification and privacy violations."})
    bad = b'{"question": "q", "reference": "r", "answer": "caf\xe9"}'
    (tmp_path / "in.jsonl").write_bytes(good.encode() + b"\n" + bad + b"\n" + good.encode() + b"\n")
    r = run_cli("grade", "--input", "in.jsonl")
    assert r.code == 1
    assert "Traceback" not in r.err
    assert "in.jsonl:2:" in r.err
    out = [json.loads(line) for line in r.out.strip().split("\n") if line]
    assert len(out) == 2 and all("grade" in o for o in out)


def test_grade_missing_input_file_is_a_clean_error(tmp_path):
    r = run_cli("grade", "--input", "missing.jsonl")
    assert r.code == 1
    assert "missing.jsonl" in r.err
    assert "Traceback" not in r.err


def test_grade_to_output_file(tmp_path):
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps({"question": Q1, "reference": REF1, "answer": "Bias and privacy."}) + "\n",
                    encoding="utf-8")
    r = run_cli("grade", "--input", "good.jsonl", "--output", "out.jsonl")
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1 and rows[0]["grade"]["grader"] == "offline:words"
    assert rows[0]["question"] == Q1
    assert r.out.strip() == ""


# -- eval ---------------------------------------------------------------------------------------------


def test_eval_prints_agreement_figures(tmp_path):
    r = run_cli("eval", "--input", str(LABELLED), "--grader", "offline")
    assert r.code == 0, r.err
    for word in ("spearman", "pairwise", "mae", "wrong", "excellent"):
        assert word in r.out.lower()


def test_eval_json_meets_the_targets(tmp_path):
    r = run_cli("eval", "--input", str(LABELLED), "--grader", "offline", "--json")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    labelled = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert report["all"]["n"] == len(labelled)
    assert report["without_wrong"]["n"] == sum(x["level"] != "wrong" for x in labelled)
    ww = report["without_wrong"]
    assert ww["spearman"] >= 0.85, ww
    assert ww["pairwise_accuracy"] >= 0.9, ww
    assert ww["mean_absolute_error"] is not None
    levels = report["mean_by_level"]
    assert levels["excellent"] > levels["good"] > levels["partial"] > levels["vague"]
    assert levels["good"] > levels["offtopic"]


def test_eval_knows_the_banks_named_and_skips_hidden_folders(tmp_path):
    """`--bank`: the replies are graded as a session in those banks grades them (the whole bank known, not only
    the labelled lines' questions): an off-topic reply answering another question of the bank is then caught."""
    library = ROOT / "tests" / "data" / "dev" / "library"
    (tmp_path / "set").mkdir()
    rows = (library / "rag.jsonl").read_text(encoding="utf-8")
    (tmp_path / "set" / "rag.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "set" / ".ipynb_checkpoints").mkdir()  # a copy a notebook left: not read twice
    (tmp_path / "set" / ".ipynb_checkpoints" / "rag-checkpoint.jsonl").write_text(rows, encoding="utf-8")
    env = {"INTERVIEWER_SEMANTIC": "0"}
    alone = json.loads(run_cli("eval", "--input", str(tmp_path / "set"), "--grader", "offline", "--json", env=env).out)
    known = run_cli("eval", "--input", str(tmp_path / "set"), "--grader", "offline", "--json",
                    "--bank", str(BANK_DIR / "library" / "rag.md"), env=env)  # fmt: skip
    assert known.code == 0, known.err
    in_bank = json.loads(known.out)
    assert alone["all"]["n"] == in_bank["all"]["n"] == 18  # the hidden copy was not read
    assert in_bank["flagged_off_topic"]["offtopic"] > alone["flagged_off_topic"].get("offtopic", 0)


def test_labelled_set_shape():
    labelled = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = {x["question"] for x in labelled}
    assert len(questions) == 11
    required = {"excellent", "good", "partial", "vague", "wrong", "offtopic"}
    for q in questions:
        levels = {x["level"] for x in labelled if x["question"] == q}
        assert levels >= required, q
    for x in labelled:
        assert x["score"] in (1, 2, 3, 4, 5)
        assert x["answer"].strip()


# -- practice -----------------------------------------------------------------------------------------


def _transcript_files(folder: Path) -> tuple[Path, Path]:
    mds = list(folder.glob("*.md"))
    jsons = list(folder.glob("*.json"))
    assert len(mds) == 1 and len(jsons) == 1, list(folder.iterdir())
    return mds[0], jsons[0]


def test_practice_through_stdin_writes_transcripts(tmp_path):
    first = ("Bias amplification from skewed training data, misinformation and privacy leaks.\n"
             "I would add bias audits, content filtering and human oversight.")
    third = "Latent space is a compressed lower-dimensional representation where similar points cluster."
    stdin = f"\n{first}\n\n/hint\n/skip\n{third}\n\n"
    out = tmp_path / "out"
    r = run_cli("practice", "--bank", str(DEFAULT), "-n", "3", "--followups", "0", "--out", str(out), stdin=stdin)
    assert r.code == 0, r.err
    assert "Question 1 of 3" in r.out and "Question 3 of 3" in r.out
    assert "Hint 1 of 3 (nudge, −5 points)" in r.out
    assert "Key-point coverage" in r.out  # practice mode: feedback after each answer
    # an offline score is named as coverage everywhere in the terminal, never with a verdict word
    assert "(correctness not checked)" in r.out and "Overall key-point coverage" in r.out
    assert not re.search(r"/100 \((excellent|good|partial|weak|no credit)\)", r.out)
    assert "Summary" in r.out
    md, js = _transcript_files(out)
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["schema"] == "interviewer.transcript/1"
    turns = data["turns"]
    assert [t["question_id"] for t in turns] == ["genai_misc#1", "genai_misc#2", "genai_misc#3"]
    assert turns[0]["answer"] == first
    assert turns[0]["grade"]["overall"] > 0
    assert turns[1]["skipped"] is True and len(turns[1]["hints"]) == 1
    assert turns[1]["hints"][0]["text"] in r.out and turns[1]["hints"][0]["level"] == 1
    assert turns[2]["answer"] == third
    assert data["summary"]["answered"] == 2 and data["summary"]["skipped"] == 1
    text = md.read_text(encoding="utf-8")
    assert first in text and third in text
    assert str(md.with_suffix("")) in r.out


def test_practice_mock_mode_and_end(tmp_path):
    answer = "Transformers holds pre-trained models, Datasets loads and caches data, Tokenizers does fast BPE."
    stdin = f"{answer}\n\n/end\n"
    bank = tmp_path / "mini.md"
    bank.write_text(
        "# Mini\n\n## 1. What are the Hugging Face libraries for?\n\n**Answer:**\n"
        "**Libraries:** Transformers for models, Datasets for data loading and caching, Tokenizers for fast "
        "tokenization.\n\n## 2. What is BPE?\n\n**Answer:**\nByte-pair encoding merges frequent pairs.\n",
        encoding="utf-8",
    )
    r = run_cli("practice", "--bank", "mini.md", "--mode", "mock", "--out", "tr", stdin=stdin)
    assert r.code == 0, r.err
    during, results = r.out.split("=== Feedback ===")
    assert "Key-point coverage" not in during  # mock mode: no feedback until the end
    feedback, summary = results.split("=== Summary ===")
    assert "Question 1: What are the Hugging Face libraries for?" in feedback
    assert feedback.count("Key-point coverage ") == 1  # only the answered question: question 2 was never answered
    assert "Overall key-point coverage" in summary
    assert "Question 2 of 2" in during
    _, js = _transcript_files(tmp_path / "tr")
    data = json.loads(js.read_text(encoding="utf-8"))
    assert len(data["turns"]) == 1  # ended before answering question 2
    assert data["turns"][0]["answer"] == answer
    assert data["turns"][0]["grade"] is not None
    assert data["finished_at"] is not None
    assert data["settings"]["mode"] == "mock"


def test_practice_bank_from_environment(tmp_path):
    bank = tmp_path / "env.md"
    bank.write_text("# Env\n\n## 1. What is a token?\n\n**Answer:**\nA unit of text the model reads.\n",
                    encoding="utf-8")
    r = run_cli("practice", "--out", "tr", "--followups", "0", stdin="A piece of text, often a subword.\n\n",
                env={"INTERVIEWER_BANK": str(bank)})
    assert r.code == 0, r.err
    assert "What is a token?" in r.out
    _, js = _transcript_files(tmp_path / "tr")
    assert json.loads(js.read_text(encoding="utf-8"))["turns"][0]["question_id"] == "env#1"


def test_practice_bad_bank_exits_1(tmp_path):
    (tmp_path / "bad.md").write_text(BAD_BANK, encoding="utf-8")
    r = run_cli("practice", "--bank", "bad.md", stdin="")
    assert r.code == 1
    assert "bad.md:8" in r.err


# -- serve ----------------------------------------------------------------------------------------


def serve_output(tmp_path: Path, port: int, env: dict[str, str]) -> str:
    """What a real `interviewer serve` process prints by the time its app answers on `port` (then stopped)."""
    log = tmp_path / "serve.log"
    env = {**os.environ, **env, "GRADIO_SERVER_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "interviewer", "serve"], cwd=tmp_path, env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Running on" not in log.read_text() or not _answers(port):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no answer on port {port} within 60 s\n{log.read_text()}"
            time.sleep(0.25)
        time.sleep(1)  # Gradio printed its share hint just after the address: give it the time to show
    finally:
        stop_process(proc)
    return log.read_text()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("env", [{}, {"INTERVIEWER_AUTH": "me:secret"}], ids=["open", "login"])
def test_serve_prints_its_address_and_no_share_hint(tmp_path, env):
    port = free_port()
    printed = serve_output(tmp_path, port, env)
    assert re.search(rf"^\* Running on local URL: +http://127\.0\.0\.1:{port}$", printed, re.MULTILINE), printed
    assert "share=True" not in printed and "public link" not in printed, printed
