"""Load and isolation: many browser sessions at once, answers timed, memory watched, transcripts checked.

The app runs as `python app.py` (LLM grader against tests/support/fake_openai.py answering after `--delay` s,
follow-ups off, a short session time-to-live so finished sessions expire during the run). Each
gradio_client Client is one browser session: /start, then K /answer calls, then its transcript.
Prints: sessions completed and errors, wall time against a single session's (target < 2x), p50/p95 from
submitting an answer to its feedback, the app's memory before, at peak and after the sessions expire
(target: back within 20% of the start), and whether every transcript holds its own answers and no other's.

    python bench/load.py                     # full setting: 50 sessions x 5 answers
    python bench/load.py --sessions 8 --answers 2 --ttl 5   # the short setting CI runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from concurrency import (  # noqa: E402
    MODEL,
    Run,
    TimedResponder,
    close_all,
    cpu_seconds,
    start_app,
    stop_process,
    wait_until_serving,
)

from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.net import free_port  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_all(url: str, names: list[str], answers: int, make: type[Run] = Run) -> tuple[float, list[Run]]:
    runs = [make(url, name, answers) for name in names]
    threads = [threading.Thread(target=r) for r in runs]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, runs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the fake LLM takes per call")
    parser.add_argument("--ttl", type=float, default=20.0, help="session time-to-live in the app (seconds)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--rounds", type=int, default=2,
                        help="run the sessions this many times: memory after each round tells reuse from a leak")
    args = parser.parse_args(argv)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = ROOT / "test-artifacts" / "bench-load-app.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with FakeOpenAI(responder=TimedResponder(args.delay), delay=args.delay) as fake, \
            tempfile.TemporaryDirectory() as data_dir:
        os.environ["INTERVIEWER_SESSION_TTL"] = str(args.ttl)
        proc = start_app(fake.base_url, port, log, data_dir)
        peak = [0.0]
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(proc.pid))
                time.sleep(0.2)

        try:
            wait_until_serving(url, proc)
            run_all(url, ["warmup"], 1)  # first-request costs off the clock
            time.sleep(args.ttl + 3)  # let the warm-up session expire: the baseline is an idle, warm app
            before = rss_mb(proc.pid)
            one_wall, (one,) = run_all(url, ["solo"], args.answers)
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            afters = []
            for round_ in range(args.rounds):
                names = [f"r{round_}s{i:03d}" for i in range(args.sessions)]
                app_cpu, harness_cpu = cpu_seconds(proc.pid), time.process_time()
                round_wall, round_runs = run_all(url, names, args.answers)
                if round_ == 0:
                    wall, runs = round_wall, round_runs
                    app_cpu, harness_cpu = cpu_seconds(proc.pid) - app_cpu, time.process_time() - harness_cpu
                if left := close_all(round_runs):
                    print(f"  {left} clients not closed within 10 s (their heartbeat threads are daemons)")
                time.sleep(args.ttl + 5)  # sessions expire (time-to-live) and their state is freed
                afters.append(rss_mb(proc.pid))
            stop.set()
            after = afters[0]
        finally:
            stop.set()
            stop_process(proc)

    errors = [r for r in runs if r.error]
    problems = [p for r in runs for p in r.check(runs)]
    latencies = [s for r in runs for s in r.answer_seconds]
    print(f"app: python app.py, LLM grader = fake server answering after {args.delay:g} s, follow-ups off, "
          f"session TTL {args.ttl:g} s, model {MODEL}")
    print(f"sessions: {args.sessions} at once, {args.answers} answers each")
    print(f"completed: {len(runs) - len(errors)} of {len(runs)}   errors: {len(errors)}   (target: all, none)")
    for r in errors[:5]:
        print(f"  {r.name}: {r.error}")
    print(f"wall time: one session {one_wall:.2f} s; {args.sessions} sessions {wall:.2f} s; "
          f"ratio {wall / one_wall:.2f}x (target < 2x)")
    print(f"answer to feedback: p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s "
          f"(n={len(latencies)}; one LLM call takes {args.delay:g} s); single session p50 "
          f"{statistics.median(one.answer_seconds) if one.answer_seconds else float('nan'):.2f} s")
    calls = args.sessions * (args.answers + 2)  # /start, the answers, /transcript
    print(f"CPU per call: app {app_cpu / calls * 1000:.0f} ms, harness (the {args.sessions} clients) "
          f"{harness_cpu / calls * 1000:.0f} ms, together {(app_cpu + harness_cpu) / calls * 1000:.0f} ms "
          f"({calls} calls; Gradio's floor, bench/gradio_floor.py: 18 ms together on 2026-12-07)")
    change = (after - before) / before * 100
    print(f"app memory (RSS): before {before:.0f} MB, peak {peak[0]:.0f} MB, after expiry {after:.0f} MB "
          f"({change:+.0f}% vs before; target within 20%)")
    if len(afters) > 1:
        print("  after each round (the same sessions again): " + ", ".join(f"{a:.0f} MB" for a in afters)
              + "  (flat = freed memory is reused, not leaked)")
    print(f"isolation: {'every transcript holds its own answers and no other' if not problems else 'PROBLEMS'} "
          f"({len(problems)} problems)")
    for p in problems[:10]:
        print(f"  {p}")
    if args.json:
        print(json.dumps({"sessions": len(runs), "completed": len(runs) - len(errors), "errors": len(errors),
                          "ratio": wall / one_wall, "app_cpu_ms_per_call": app_cpu / calls * 1000,
                          "harness_cpu_ms_per_call": harness_cpu / calls * 1000, "p50": percentile(latencies, 0.5),
                          "p95": percentile(latencies, 0.95), "memory_before_mb": before, "memory_peak_mb": peak[0],
                          "memory_after_mb": afters, "isolation_problems": problems}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
