"""Helpers for the real-browser tests, the API tests and the benchmarks.

- `served(settings)`: the web app launched on a free local port, closed afterwards.
- `launch_chromium(p)`: Debian's Chromium through Playwright (never `playwright install`).
- `grade_responder`: a fake-LLM responder that returns a valid grade for the grader's request.
- Page helpers that drive the app the way a user does (`setup`, `start`, `answer`, `download`, `shot`).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 15_000  # one step of the app (a click and its answer) on a slow 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(settings: Any = None, **launch_options: Any) -> Iterator[str]:
    """The app built with `settings`, serving on 127.0.0.1 at a free port; yields its URL."""
    from interviewer.ui import build_app, launch

    demo = build_app(settings)
    port = free_port()
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# -- a fake LLM that grades ------------------------------------------------------------------------

FAKE_JUSTIFICATION = "Judged by the fake LLM: clear and relevant."
FAKE_SUGGESTION = "Fake LLM suggestion: give a concrete example."
FAKE_FOLLOWUP = "Fake LLM follow-up: how would you measure that?"


def _user_message(body: dict) -> str:
    return next((m.get("content") or "" for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")


def grade_for_prompt(user: str) -> dict[str, Any]:
    """A valid LLM grade for the grader's user message: every criterion named in "Criteria to score"
    once, every key point reported (the first one covered, quoting the start of the reply)."""
    names = re.search(r"Criteria to score, each exactly once: (.+?)\.?\s*$", user, re.M)
    criteria = [n.strip() for n in names.group(1).split(",")] if names else []
    section = user.split("Key points of the reference", 1)[-1].split("The candidate's reply is between", 1)[0]
    points = re.findall(r"^\d+\. (.+)$", section, re.M)
    reply = re.search(r"<(reply_[0-9a-f]+)>\n(.*?)\n</\1>", user, re.S)
    quote = " ".join((reply.group(2) if reply else "").split()[:4])
    covered = [bool(quote) and i == 0 for i in range(len(points))]
    key_points = [
        {"point": p, "evidence": quote if ok else "", "status": "covered" if ok else "missed"}
        for p, ok in zip(points, covered)
    ]
    return {
        "possible_prompt_injection": False,
        "key_points": key_points,
        "criteria": [{"name": n, "reasoning": FAKE_JUSTIFICATION, "score": 4} for n in criteria],
        "factual_errors": [],
        "strengths": ["Fake LLM strength: well structured."],
        "suggestions": [FAKE_SUGGESTION],
        "improved_answer": "An improved answer written by the fake LLM.",
    }


def grade_responder(body: dict) -> str:
    """FakeOpenAI responder: a grade for structured requests, a short question otherwise (follow-ups)."""
    fmt = (body.get("response_format") or {}).get("type")
    if fmt in ("json_schema", "json_object"):
        return json.dumps(grade_for_prompt(_user_message(body)))
    return FAKE_FOLLOWUP


# -- driving the page ------------------------------------------------------------------------------


def open_app(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#start-btn")).to_be_visible(timeout=30_000)


def setup(page: Any, *, count: int | None = None, mode: str | None = None, followups: bool | None = None) -> None:
    """Fill the setup form: the question count through the slider's number input, the mode, follow-ups."""
    from playwright.sync_api import expect

    if count is not None:
        number = page.locator("#count input[type=number]")
        number.fill(str(count))
        number.press("Enter")
        expect(page.locator("#count input[type=range]")).to_have_value(str(count))
    if mode is not None:
        page.locator("#mode label", has_text="Mock" if mode == "mock" else "Practice").click()
    if followups is not None:
        page.locator("#followups input[type=checkbox]").set_checked(followups)


def start(page: Any, total: int) -> None:
    from playwright.sync_api import expect

    page.locator("#start-btn").click()
    expect(page.locator("#chat")).to_contain_text(f"Question 1 of {total}")
    expect(page.locator("#progress")).to_contain_text(f"Question 1 of {total}")


def answer_box(page: Any) -> Any:
    return page.locator("#answer-box textarea")


def answer(page: Any, text: str, *, shortcut: bool = False) -> None:
    """Type an answer and send it with the Submit button or Ctrl+Enter; waits until the app took it (the
    box is cleared, or the session finished and the summary replaced the interview)."""
    box = answer_box(page)
    box.fill(text)
    if shortcut:
        box.press("Control+Enter")
    else:
        page.locator("#submit-btn").click()
    page.wait_for_function(
        """() => {
            const box = document.querySelector('#answer-box textarea');
            const summary = document.querySelector('#summary');
            return (box && box.offsetParent !== null && box.value === '') || (summary && summary.offsetParent !== null);
        }""",
        timeout=TIMEOUT_MS,
    )


def user_messages(page: Any) -> Any:
    return page.locator("#chat [data-testid=user]")


def bot_messages(page: Any) -> Any:
    return page.locator("#chat [data-testid=bot]")


def download(page: Any, elem_id: str) -> tuple[str, str]:
    """Click a download button; returns the suggested file name and the file's text."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.locator(f"#{elem_id}").click()
    d = info.value
    return d.suggested_filename, Path(d.path()).read_text(encoding="utf-8")


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
