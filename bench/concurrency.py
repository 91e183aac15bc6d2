"""Many users at once: N gradio_client sessions against the app graded by a fake LLM that answers after 1 s.

The fake OpenAI-compatible server runs in this process; the app runs as `python app.py` in a subprocess
with the LLM grader pointed at it (no follow-ups). Each client is one browser session: /start with K
questions, then K /answer calls (one LLM grading of `--delay` seconds each). One client alone first, then
N at once; prints both wall times and their ratio (target: under 2x), errors, and whether every client's
transcript holds its own answers and no other's. Figures only, no assertions.

    python bench/concurrency.py [--clients 20] [--answers 3] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gradio_client import Client  # noqa: E402

from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from tests.support.processes import stop_process  # noqa: E402
from tests.support.responders import grade_responder  # noqa: E402

MODEL = "gpt-fake"


def start_app(
    base_url: str, port: int, log: Path, data_dir: str, extra: dict[str, str] | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "INTERVIEWER_DATA_DIR": data_dir,  # the sessions' history goes to a scratch folder, not the user's
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "INTERVIEWER_GRADER": "llm",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "bench",
        "INTERVIEWER_MODEL": MODEL,
        "INTERVIEWER_FOLLOWUPS": "0",
        "INTERVIEWER_LLM_TIMEOUT": "30",
        "INTERVIEWER_LLM_RETRIES": "0",
        **(extra or {}),
    }
    out = log.open("w")
    return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(url: str, proc: subprocess.Popen, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the app did not serve {url} within {limit:g} s")


class Run:
    """One client's session: /start with K questions, K answers, then its transcript."""

    def __init__(self, url: str, name: str, answers: int) -> None:
        self.name = name
        self.answers = [f"{name} answer {k + 1}: bias auditing, content filtering and human oversight."
                        for k in range(answers)]
        # Like a browser: output files (the transcript downloads) are links, fetched only when wanted.
        # ssl_verify=False on this plain-http local URL: otherwise every httpx client gradio_client makes
        # (about two per call) loads the CA bundle, ~40 ms of CPU each, and 20 clients' harness would eat the
        # 2 CPUs the app is measured on.
        self.client = Client(url, verbose=False, download_files=False, ssl_verify=False)
        self.seconds = 0.0
        self.answer_seconds: list[float] = []
        """Each /answer call, from submitting it to its feedback."""
        self.error: str | None = None
        self.transcript: dict | None = None

    def __call__(self) -> Run:
        t0 = time.perf_counter()
        stage = "/start"
        try:
            self.client.predict(count=len(self.answers), followups=False, api_name="/start")
            for k, text in enumerate(self.answers, start=1):
                stage = f"/answer {k}"
                t = time.perf_counter()
                self.client.predict(text, api_name="/answer")
                self.answer_seconds.append(time.perf_counter() - t)
            self.seconds = time.perf_counter() - t0
            stage = "/transcript"
            file = self.client.predict("json", api_name="/transcript")
            with urllib.request.urlopen(file["url"], timeout=60) as r:
                self.transcript = json.loads(r.read().decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports errors, it does not stop on them
            self.seconds = time.perf_counter() - t0
            self.error = f"{stage}: {type(exc).__name__}: {exc}"
        return self


    def check(self, everyone: list[Run]) -> list[str]:
        """Problems with this client's transcript: missing answers, another client's answer, LLM not used."""
        if self.transcript is None:
            return [f"{self.name}: no transcript"]
        problems = []
        got = [t.get("answer") for t in self.transcript["turns"]]
        if got != self.answers:
            problems.append(f"{self.name}: answers {got!r} != {self.answers!r}")
        text = json.dumps(self.transcript)
        for other in everyone:
            if other is not self and f'"{other.name} answer' in text:
                problems.append(f"{self.name}: holds an answer of {other.name}")
        fallback = [t["grade"].get("fallback_reason") for t in self.transcript["turns"] if t.get("grade")]
        if any(fallback):
            problems.append(f"{self.name}: graded offline ({next(f for f in fallback if f)})")
        return problems


def close_all(runs: list[Run], timeout: float = 10.0) -> int:
    """Close every client at once, waiting at most `timeout` in all; how many were not closed by then.

    Each client keeps a heartbeat stream open (the app's way of knowing a page is alive) and close() waits up
    to 1 s for its reader to notice: one after the other, 150 clients took minutes. The streams are the
    harness's to close, not the app's."""
    closers = [threading.Thread(target=r.client.close, daemon=True) for r in runs]
    for c in closers:
        c.start()
    deadline = time.monotonic() + timeout
    for c in closers:
        c.join(max(0.0, deadline - time.monotonic()))
    return sum(c.is_alive() for c in closers)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class TimedResponder:
    """The grading responder, noting when each LLM call was answered (to see how many overlapped)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.done: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> str:
        with self.lock:
            self.done.append(time.monotonic())
        return grade_responder(body)

    def max_overlap(self) -> int:
        """Most LLM calls in flight at once (each spans the `delay` before its answer)."""
        spans = sorted(self.done)
        return max((sum(1 for u in spans if t - self.delay < u <= t) for t in spans), default=0)


def run_clients(url: str, names: list[str], answers: int) -> tuple[float, list[Run]]:
    runs = [Run(url, name, answers) for name in names]  # connecting (page config) is not timed
    barrier = threading.Barrier(len(runs))

    def go(run: Run) -> Run:
        barrier.wait()
        return run()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(runs)) as pool:
        done = list(pool.map(go, runs))
    return time.perf_counter() - t0, done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="sessions at once (default 20)")
    parser.add_argument("--answers", type=int, default=3, help="questions answered by each client (default 3)")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the fake LLM takes per call (default 1.0)")
    args = parser.parse_args(argv)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = ROOT / "test-artifacts" / "bench-concurrency-app.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    responder = TimedResponder(args.delay)
    with FakeOpenAI(responder=responder, delay=args.delay) as fake, tempfile.TemporaryDirectory() as data_dir:
        proc = start_app(fake.base_url, port, log, data_dir)
        try:
            wait_until_serving(url, proc)
            run_clients(url, ["warmup"], 1)  # first-request costs (imports, tokenizer) off the clock
            fake.reset()

            one_wall, (one,) = run_clients(url, ["solo"], args.answers)
            responder.done.clear()
            app_cpu, bench_cpu = cpu_seconds(proc.pid), time.process_time()
            many_wall, many = run_clients(url, [f"client{i:02d}" for i in range(args.clients)], args.answers)
            app_cpu, bench_cpu = cpu_seconds(proc.pid) - app_cpu, time.process_time() - bench_cpu
        finally:
            stop_process(proc)
        llm_calls = sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))

    errors = [r for r in [one, *many] if r.error]
    problems = [p for r in many for p in r.check(many)] + one.check([one])
    per_client = [r.seconds for r in many if not r.error]
    print(f"app: python app.py, LLM grader against the fake server ({args.delay:g} s per call), follow-ups off")
    print(f"work per client: /start with {args.answers} questions + {args.answers} /answer calls")
    print(f"one client alone:        {one_wall:6.2f} s")
    print(f"{args.clients} clients at once:     {many_wall:6.2f} s"
          + (f"  (per client: median {statistics.median(per_client):.2f} s, max {max(per_client):.2f} s)"
             if per_client else ""))
    print(f"ratio (many / one):      {many_wall / one_wall:6.2f}x   (target < 2x)")
    print(f"LLM calls made:          {llm_calls} (expected {(args.clients + 1) * args.answers})")
    print(f"LLM calls in flight at once, at most: {responder.max_overlap()} (of {args.clients} clients)")
    print(f"CPU during the {args.clients}-client run: app {app_cpu:.1f} s, clients + fake LLM {bench_cpu:.1f} s "
          f"({os.cpu_count()} CPUs, {many_wall:.1f} s wall)")
    print(f"errors:                  {len(errors)}")
    for r in errors[:5]:
        print(f"  {r.name}: {r.error}")
    print(f"transcripts own-answers-only: {'yes' if not problems else 'NO'} ({len(problems)} problems)")
    for p in problems[:10]:
        print(f"  {p}")


if __name__ == "__main__":
    main()
