"""Replicas behind nginx: the same load on one replica and on two, through the shipped deploy/nginx.conf.

Everything starts here, with no root-only step: PostgreSQL in a temporary folder (initdb/pg_ctl as an
unprivileged user), the fake LLM answering after `--delay` s, N `python app.py` replicas on that one database,
nginx in front.
Each gradio_client Client is one browser that keeps its sticky cookie. Prints, for one and two replicas:
sessions completed and errors, wall time, answer-to-feedback p50/p95, and rows in the history against
answers sent (none lost, none given to another owner).

    python bench/replicas.py                           # 100 sessions x 3 answers
    python bench/replicas.py --sessions 10 --answers 2   # short
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from concurrency import Run, TimedResponder, start_app, stop_process, wait_until_serving  # noqa: E402
from gradio_client import Client  # noqa: E402
from load import percentile, run_all  # noqa: E402

from tests.support.fake_openai import FakeOpenAI  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from tests.support.nginx import NGINX, nginx_conf  # noqa: E402
from tests.support.postgres import Postgres  # noqa: E402


class StickyRun(Run):
    """A browser that keeps the replica cookie nginx gives it (gradio_client keeps no cookies by itself)."""

    def __init__(self, url: str, name: str, answers: int) -> None:
        super().__init__(url, name, answers)
        self.client.close()
        self.client = Client(url, verbose=False, download_files=False, ssl_verify=False,
                             headers={"Cookie": f"interviewer_replica={name}"})  # fmt: skip


def peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(replicas: int, sessions: int, answers: int, fake: FakeOpenAI, scratch: Path, pg: Postgres) -> dict:
    data, logs = scratch / f"data-{replicas}", scratch / f"logs-{replicas}"
    data.mkdir()
    logs.mkdir()
    ports = [free_port() for _ in range(replicas)]
    database = pg.create_database(f"replicas{replicas}")
    env = {"INTERVIEWER_DATABASE_URL": database}
    procs = [start_app(fake.base_url, port, logs / f"replica-{port}.log", str(data), env) for port in ports]
    listen = free_port()
    proxy_dir = scratch / f"nginx-{replicas}"
    proxy_dir.mkdir()
    proxy = subprocess.Popen([NGINX, "-p", str(proxy_dir), "-c", str(nginx_conf(proxy_dir, listen, ports))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{listen}/"
    try:
        for port, proc in zip(ports, procs):
            wait_until_serving(f"http://127.0.0.1:{port}/", proc)
        run_all(url, [f"warm{i}" for i in range(replicas * 2)], 1, StickyRun)  # first-request costs off the clock
        idle = [peak_mb(proc.pid) for proc in procs]
        wall, runs = run_all(url, [f"s{i:03d}" for i in range(sessions)], answers, StickyRun)
        peak = [peak_mb(proc.pid) for proc in procs]
    finally:
        stop_process(proxy)
        for proc in procs:
            stop_process(proc)
    saved = pg.query(database, "SELECT answer FROM turns WHERE answer LIKE 's___ answer %'")
    sent = [a for r in runs for a in r.answers[: len(r.answer_seconds)]]  # the answers whose call returned
    latencies = [s for r in runs for s in r.answer_seconds]
    problems = [p for r in runs for p in r.check(runs)]
    return {
        "replicas": replicas, "sessions": sessions, "completed": sum(not r.error for r in runs),
        "errors": [r.error for r in runs if r.error][:3], "wall": wall, "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95), "sent": len(sent), "saved": len(saved),
        "lost": len(set(sent) - {a for (a,) in saved}), "problems": problems[:3], "idle": idle, "peak": peak,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--answers", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the fake LLM takes per call")
    args = parser.parse_args(argv)
    with FakeOpenAI(responder=TimedResponder(args.delay), delay=args.delay) as fake, \
            tempfile.TemporaryDirectory() as scratch, Postgres() as pg:  # fmt: skip
        results = [measure(n, args.sessions, args.answers, fake, Path(scratch), pg) for n in (1, 2)]
    print(f"fake LLM answering after {args.delay:g} s; {args.sessions} sessions x {args.answers} answers at once; "
          "nginx (deploy/nginx.conf) in front; one PostgreSQL database")
    for r in results:
        print(f"{r['replicas']} replica(s): completed {r['completed']} of {r['sessions']}, errors "
              f"{r['sessions'] - r['completed']}; wall {r['wall']:.1f} s; answer to feedback p50 {r['p50']:.2f} s, "
              f"p95 {r['p95']:.2f} s; answers sent {r['sent']}, rows saved {r['saved']}, lost {r['lost']}; "
              f"isolation problems {len(r['problems'])}")
        print(f"  memory per replica (peak resident): {', '.join(f'{m:.0f} MB' for m in r['peak'])} after the run, "
              f"{', '.join(f'{m:.0f} MB' for m in r['idle'])} before it")
        for e in r["errors"] + r["problems"]:
            print(f"  {e}")
    one, two = results
    print(f"two replicas against one: wall time x{two['wall'] / one['wall']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
