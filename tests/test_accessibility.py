"""Accessibility (issue 15) in a real Chromium: axe-core (vendored, tests/support/vendor/axe-core) finds no
serious or critical violation on any view, in light and dark mode; the progress bar is named; a new question
moves the focus to the answer box; a phone-sized screen scrolls no sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from interviewer.config import Settings
from tests.support.browser import (
    answer,
    answer_box,
    new_page,
    open_app,
    served,
    setup,
    shot,
    start,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")]

AXE = (Path(__file__).parent / "support" / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("serious", "critical")


def violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now: 'rule: target' strings."""
    # Let Gradio's update settle: a component waiting for an event's result is drawn faded on purpose.
    settled = "() => !document.querySelector('.pending, .generating, .translucent:not(.hide)')"
    page.wait_for_function(settled, timeout=10_000)
    page.wait_for_timeout(300)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [f"{v['id']}: {t}" for v in found if v["impact"] in BLOCKING for t in v["targets"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violation_on_any_view(browser, scheme, tmp_path):
    page = new_page(browser, color_scheme=scheme, viewport={"width": 1280, "height": 900})
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path)) as url:
        open_app(page, url)
        seen = {"setup": violations(page)}
        setup(page, count=2, followups=False)
        start(page, 2)
        seen["interview"] = violations(page)
        answer(page, "Bias amplification and misinformation; I audit for bias and keep human oversight.")
        expect(page.locator("#feedback .iv-overall")).to_be_visible()
        page.locator("#feedback summary", has_text="beside the reference").click()  # answer and reference, opened
        seen["feedback card"] = violations(page)
        answer_box(page).fill("Typed, not sent")
        page.locator("#end-btn").click()
        expect(page.locator("#end-ask")).to_be_visible()
        expect(page.locator("#end-send")).to_be_focused()  # the question takes the focus: its first choice
        seen["end asks about an unsent answer"] = violations(page)
        page.keyboard.press("Escape")  # back to the answer, nothing lost
        expect(page.locator("#end-ask")).to_be_hidden()
        expect(answer_box(page)).to_have_value("Typed, not sent")
        page.reload()  # an unfinished interview with an answer: the resume offer
        expect(page.locator("#resume")).to_be_visible(timeout=15_000)
        seen["resume offer"] = violations(page)
        page.locator("#resume-btn").click()
        expect(page.locator("#chat")).to_contain_text("Welcome back")
        answer(page, "I built a legal drafting system with RAG; drafting time fell by 60%.")
        expect(page.locator("#summary-box")).to_be_visible()
        seen["summary"] = violations(page)
        page.get_by_role("tab", name="History").click()
        expect(page.locator("#sessions-table")).to_contain_text("finished")
        seen["history"] = violations(page)
        shot(page, f"axe-history-{scheme}")
        fresh = new_page(browser, color_scheme=scheme, viewport={"width": 1280, "height": 900})
        open_app(fresh, url)
        fresh.get_by_role("tab", name="History").click()
        expect(fresh.locator("#due")).to_contain_text("No question practised yet")
        seen["history without data"] = violations(fresh)
        fresh.get_by_role("tab", name="Interview").click()
        start(fresh, 5)
        fresh.locator("#end-btn").click()  # ended before any answer: an empty summary
        expect(fresh.locator("#summary")).to_be_visible()
        seen["empty summary"] = violations(fresh)
        fresh.context.close()
    page.context.close()
    assert {view: found for view, found in seen.items() if found} == {}


def test_the_progress_bar_is_named_and_a_new_question_takes_the_focus(browser, tmp_path):
    page = new_page(browser)
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path)) as url:
        open_app(page, url)
        setup(page, count=2, followups=False)
        start(page, 2)
        expect(page.get_by_role("progressbar", name="Question 1 of 2")).to_be_visible()
        expect(answer_box(page)).to_be_focused()
        page.locator("#hint-btn").focus()  # elsewhere; the next question brings the focus back
        answer_box(page).fill("Bias amplification.")
        page.locator("#submit-btn").click()
        expect(page.get_by_role("progressbar", name="Question 2 of 2")).to_be_visible()
        expect(answer_box(page)).to_be_focused()
    page.context.close()


def test_a_phone_sized_screen_has_no_sideways_scroll_and_the_buttons_are_reachable(browser, tmp_path):
    page = new_page(browser, viewport={"width": 390, "height": 844})
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path)) as url:
        open_app(page, url)
        expect(page.locator("#intro")).to_contain_text("No time limit")  # nothing in the app is timed
        setup(page, count=1, followups=False)
        start(page, 1)
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        for button in ("#submit-btn", "#hint-btn", "#skip-btn", "#end-btn"):
            page.locator(button).scroll_into_view_if_needed()
            expect(page.locator(button)).to_be_in_viewport()
        shot(page, "phone-interview")
    page.context.close()


def tab_to(page, selector: str, limit: int = 80, text: str = "") -> int:
    """Press Tab until the focus is inside `selector` (and its text holds `text`); how many presses it took
    (fails past `limit`)."""
    check = "([s, t]) => { const a = document.activeElement; return !!a && !!a.closest(s) && a.innerText.includes(t); }"
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(check, [selector, text]):
            return presses
    raise AssertionError(f"{selector} {text} cannot be reached with Tab")


def test_a_whole_session_by_keyboard_alone(browser, tmp_path):
    """Three questions, a transcript downloaded and History opened without the mouse; the tab order runs
    answer box -> Submit -> Hint -> Skip -> End, and every control shows a focus ring."""
    page = new_page(browser, accept_downloads=True)
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path)) as url:
        open_app(page, url)
        tab_to(page, "#count input[type=number]")
        page.keyboard.press("Control+A")
        page.keyboard.type("3")
        page.keyboard.press("Enter")
        expect(page.locator("#count input[type=range]")).to_have_value("3")
        tab_to(page, "#start-btn")
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert ring not in ("none", ""), ring  # a visible focus ring
        page.keyboard.press("Enter")
        expect(answer_box(page)).to_be_focused()  # the question is asked: type at once
        for order in ("#submit-btn", "#hint-btn", "#skip-btn", "#end-btn"):
            assert tab_to(page, order, limit=3) == 1, order  # the very next stop
        for _ in range(4):
            page.keyboard.press("Shift+Tab")  # back to the answer box
        for number, reply in enumerate(["Bias amplification and misinformation.", "I led a RAG project.",
                                        "A compressed representation of the data."], start=1):  # fmt: skip
            expect(answer_box(page)).to_be_focused()
            page.keyboard.type(reply)
            page.keyboard.press("Control+Enter")
            if number < 3:
                expect(page.get_by_role("progressbar", name=f"Question {number + 1} of")).to_be_visible()
        expect(page.locator("#summary-box")).to_contain_text("3 answered")
        tab_to(page, "#dl-json")
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        assert '"turns"' in Path(info.value.path()).read_text(encoding="utf-8")
        tab_to(page, "[role=tab]", text="History")
        page.keyboard.press("Enter")
        expect(page.locator("#sessions-table")).to_contain_text("finished")
        tab_to(page, "#history-delete")
        page.keyboard.press("Enter")
        expect(page.locator("#delete-confirm")).to_be_visible()
        page.keyboard.press("Escape")  # closes the confirmation, deleting nothing
        expect(page.locator("#delete-confirm")).to_be_hidden()
        expect(page.locator("#sessions-table")).to_contain_text("finished")
    page.context.close()


def test_each_new_message_and_feedback_is_announced_once_in_one_polite_region(browser, tmp_path):
    page = new_page(browser)
    with served(Settings(grader="offline", followups=0, data_dir=tmp_path)) as url:
        open_app(page, url)
        page.evaluate("""() => { window.__said = []; new MutationObserver(() => window.__said.push(
            document.querySelector('#announcer').textContent)).observe(document.querySelector('#announcer'),
            {childList: true, characterData: true, subtree: true}); }""")
        setup(page, count=2, followups=False)
        start(page, 2)
        answer(page, "Bias amplification and misinformation; I audit for bias.")
        expect(page.locator("#announcer")).to_contain_text("Question 2 of 2")
        expect(page.locator("#announcer")).to_contain_text("Feedback: ")
        said = page.evaluate("window.__said")
    page.context.close()
    assert len(said) == len(set(said)) and 1 <= len(said) <= 4, said  # once per message, not per token
    assert all("…" not in s for s in said)
