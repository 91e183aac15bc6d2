"""A full walk of the web app as a candidate lives it, screenshotted at 1280 px and 390 px into docs/screenshots/.

    python -m tests.support.walk [--out docs/screenshots]

Setup; three questions with a hint on the first, a retry, a skip; End with an answer typed and not sent; the
summary and its downloads; the History tab with data and, in a fresh browser, without; an empty summary (End
before any answer). The offline grader, a throwaway history: nothing outside this machine is reached. Each view
is also checked for clipped content: an element wider than the window, or text cut inside a table cell.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tests.support.browser import (
    ROOT,
    answer,
    answer_box,
    bot_messages,
    launch_chromium,
    new_page,
    open_app,
    served,
    setup,
    start,
    user_messages,
)

WIDTHS = {"desktop": 1280, "phone": 390}
ANSWERS = [
    "Bias in training data is amplified, so I audit outputs; privacy needs consent and PII filtering; "
    "misinformation and deepfakes call for watermarking and content filters; human oversight stays in the loop.",
    "Attention lets every token weigh every other one, so long-range context is kept without recurrence.",
]
CLIPPED = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('#interview *, #summary *, #setup *, #history *')]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > width + 1
                 && getComputedStyle(e).position !== 'fixed' && !e.closest('[class*=scroll], .table-wrap, pre'));
  return wide.slice(0, 5).map(e => (e.id ? '#' + e.id : e.tagName + '.' + [...e.classList].join('.'))
                                   + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
}"""


def clipped(page) -> list[str]:
    """Elements that run past the right edge of the window (none may: nothing is cut or hidden)."""
    return page.evaluate(CLIPPED)


def walk(url: str, out: Path, width_name: str, browser) -> dict[str, list[str]]:
    from playwright.sync_api import expect

    width = WIDTHS[width_name]
    found: dict[str, list[str]] = {}

    def snap(page, view: str) -> None:
        page.wait_for_timeout(400)
        found[view] = clipped(page)
        page.screenshot(path=str(out / f"{view}-{width_name}.png"), full_page=True)

    page = new_page(browser, viewport={"width": width, "height": 900})
    open_app(page, url)
    setup(page, count=3, mode="practice", followups=False)
    snap(page, "1-setup")
    start(page, 3)
    answer_box(page).fill("Bias, and")
    page.locator("#hint-btn").click()
    expect(page.locator("#chat")).to_contain_text("Hint 1 of 3")
    answer(page, ANSWERS[0])
    expect(page.locator("#feedback")).to_contain_text("Question 1")
    before = "(a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING"
    assert page.evaluate(f"() => ({before})(document.querySelector('#feedback-col'), "
                         "document.querySelector('#answer-area'))"), "the feedback comes before the next answer's box"
    snap(page, "2-feedback")
    page.locator("#retry-btn").click()
    expect(page.locator("#progress")).to_contain_text("attempt 2")
    expect(user_messages(page).last).to_contain_text("try again")  # its own bubble, after question 2 was asked
    expect(bot_messages(page).last).to_contain_text("Question 1 of 3 (attempt 2)")
    answer(page, ANSWERS[0] + " Intellectual property and job displacement matter too.")
    expect(page.locator("#feedback")).to_contain_text("attempt 2")
    snap(page, "3-retry")
    page.locator("#skip-btn").click()
    expect(page.locator("#progress")).to_contain_text("Question 3 of 3")
    answer_box(page).fill("Half an answer I have not sent yet")
    page.locator("#end-btn").click()
    expect(page.locator("#end-ask")).to_be_visible()
    snap(page, "4-end-asks")
    page.locator("#end-keep").click()
    expect(page.locator("#summary")).to_be_visible()
    snap(page, "5-summary")
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#sessions-table")).to_contain_text("finished")
    snap(page, "6-history")
    page.context.close()

    fresh = new_page(browser, viewport={"width": width, "height": 900})
    open_app(fresh, url)
    fresh.get_by_role("tab", name="History").click()
    expect(fresh.locator("#due")).to_contain_text("No question practised yet")
    snap(fresh, "7-history-empty")
    fresh.get_by_role("tab", name="Interview").click()
    start(fresh, 5)
    fresh.locator("#end-btn").click()
    expect(fresh.locator("#summary")).to_be_visible()
    expect(fresh.locator("#summary-box")).to_contain_text("nothing to summarise")
    expect(fresh.locator("#downloads")).to_be_hidden()  # nothing was saved: nothing to download
    expect(fresh.locator("#summary-plot")).to_be_hidden()  # no empty chart frame
    snap(fresh, "8-summary-empty")
    fresh.context.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from interviewer.config import Settings

    with tempfile.TemporaryDirectory() as data:
        os.environ["INTERVIEWER_DATA_DIR"] = data
        with served(Settings(data_dir=Path(data), grader="offline")) as url, sync_playwright() as p:
            browser = launch_chromium(p)
            for name in WIDTHS:
                for view, wide in walk(url, args.out, name, browser).items():
                    print(f"{name:8} {view:18} {'clipped: ' + ', '.join(wide) if wide else 'nothing clipped'}")


if __name__ == "__main__":
    main()
