"""Helpers for the real-browser tests and the API tests.

- `served(settings)`: the web app launched on a free local port, closed afterwards.
- `launch_chromium(p)`: Debian's Chromium through Playwright (never `playwright install`).
- Page helpers that drive the app the way a user does (`setup`, `start`, `answer`, `download`, `shot`).

The fake LLM's grading responder is in `tests.support.responders`, `free_port` in `tests.support.net`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 15_000  # one step of the app (a click and its answer) on a slow 2-core machine


@contextmanager
def served(settings: Any = None, **launch_options: Any) -> Iterator[str]:
    """The app built with `settings`, serving on 127.0.0.1 at a free port; yields its URL."""
    from interviewer.web.app import build_app, launch

    demo = build_app(settings)
    port = free_port()
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def new_page(browser: Any, **context_options: Any) -> Any:
    """A page in a new context (its own storage: another browser, as far as the app can tell), waiting up to
    TIMEOUT_MS for what it expects."""
    page = browser.new_context(**context_options).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


# -- driving the page ------------------------------------------------------------------------------


def open_app(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#start-btn")).to_be_visible(timeout=30_000)
    # The page's own script (page.js, run by the load event) adds the live region and the keyboard handlers; the
    # Start button can show before it has run.
    expect(page.locator("#announcer")).to_be_attached(timeout=30_000)


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
