"""Start-up: seconds from `python app.py` to the page answering HTTP 200 (target: under 10 s on 2 cores).

    python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
LIMIT = 60.0

from concurrency import stop_process  # noqa: E402

from tests.support.net import free_port  # noqa: E402


def once(data_dir: str) -> float | None:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "INTERVIEWER_DATA_DIR": data_dir}
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "INTERVIEWER_MODEL", "INTERVIEWER_GRADER"):
        env.pop(name, None)  # the default (offline) configuration
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - t0 < LIMIT:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                print(f"the app exited with code {proc.returncode}:\n{err[-2000:]}")
                return None
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
        print(f"no HTTP 200 from {url} within {LIMIT:g} s")
        return None
    finally:
        stop_process(proc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as data_dir:
            seconds = once(data_dir)
        if seconds is not None:
            times.append(seconds)
            print(f"run {i + 1}: {seconds:.2f} s from `python app.py` to HTTP 200")
    if times:
        print(f"start-up: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs "
              f"(target < 10 s; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
