"""Replicas behind nginx (issue 16, part 3), for real: two `python app.py` processes on one PostgreSQL, nginx
with the shipped deploy/nginx.conf in front (sticky by cookie, streaming unbuffered). The replica serving an
interview is killed mid-session; the browser's reload lands on the other replica, which offers to resume,
and every answer is intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import answer, download, launch_chromium, new_page, open_app, setup, start
from tests.support.net import free_port
from tests.support.nginx import NGINX, nginx_conf
from tests.support.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read(1)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def replica(port: int, data: Path, logs: Path, database_url: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_", "GRADIO_"))}
    env |= {"GRADIO_SERVER_PORT": str(port), "INTERVIEWER_DATA_DIR": str(data), "INTERVIEWER_GRADER": "offline",
            "INTERVIEWER_FOLLOWUPS": "0", "INTERVIEWER_DATABASE_URL": database_url}  # fmt: skip
    log = (logs / f"replica-{port}.log").open("w")
    return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def serving_port(access_log: Path) -> int:
    """The replica that served the last queued event (from nginx's log of upstream addresses)."""
    lines = [x for x in access_log.read_text(encoding="utf-8").splitlines() if "/gradio_api/queue/join" in x]
    return int(lines[-1].split()[1].rsplit(":", 1)[1])


def test_a_replica_that_dies_loses_no_answer_and_the_reload_resumes_on_another(tmp_path, postgres):
    data, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    ports = [free_port(), free_port()]
    database = postgres.create_database("replicas")
    replicas = {port: replica(port, data, logs, database) for port in ports}
    listen = free_port()
    proxy = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(nginx_conf(tmp_path, listen, ports))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/")
        url = f"http://127.0.0.1:{listen}/"
        wait_http(url)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = new_page(browser, accept_downloads=True)
            open_app(page, url)
            setup(page, count=2, followups=False)
            start(page, 2)
            answer(page, "Bias amplification and misinformation; I keep human oversight in the loop.")
            expect(page.locator("#chat")).to_contain_text("Question 2 of 2")  # streamed through nginx
            served_by = serving_port(tmp_path / "access.log")
            dead = replicas.pop(served_by)
            dead.kill()  # the replica holding this interview dies at once (SIGKILL: no graceful goodbye)
            dead.wait()
            page.reload()
            expect(page.locator("#resume")).to_be_visible(timeout=30_000)
            page.locator("#resume-btn").click()
            expect(page.locator("#chat")).to_contain_text("human oversight in the loop")
            answer(page, "I built a legal drafting system with RAG; drafting time fell by 60%.")
            expect(page.locator("#summary-box")).to_contain_text("2 answered")
            _, raw = download(page, "dl-json")
            browser.close()
        assert serving_port(tmp_path / "access.log") != served_by  # the other replica took over
        answers = [t["answer"] for t in json.loads(raw)["turns"]]
        assert answers == ["Bias amplification and misinformation; I keep human oversight in the loop.",
                           "I built a legal drafting system with RAG; drafting time fell by 60%."]  # fmt: skip
    finally:
        stop_process(proxy)
        for process in replicas.values():
            stop_process(process)



def test_a_short_replicas_run_loses_nothing(capsys):
    """bench/replicas.py at its short setting: 10 sessions x 2 answers through nginx on one replica and on two."""
    sys.path.insert(0, str(ROOT / "bench"))
    import replicas as bench

    assert bench.main(["--sessions", "10", "--answers", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("completed 10 of 10, errors 0") == 2 and out.count("rows saved 20, lost 0") == 2, out
    assert "isolation problems 0" in out
