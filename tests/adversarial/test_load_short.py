"""The load benchmark in its short setting: every session completes, with its own answers only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # ~30 s: the load benchmark's short run

ROOT = Path(__file__).resolve().parents[2]


def test_short_load_run_completes_every_session_in_isolation():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--sessions", "6", "--answers", "2", "--ttl", "3",
         "--rounds", "1", "--json"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["sessions"] == 6 and figures["completed"] == 6 and figures["errors"] == 0
    assert figures["isolation_problems"] == []
    assert figures["p50"] >= 1.0  # each answer really waited for the (fake) LLM's one second
